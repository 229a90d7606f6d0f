-- V1: Troupe's schema as the last pre-Flyway build created it (troupe-schema.sql, kept as the
-- test resource legacy/troupe-schema-pre-flyway.sql). A database that script created is adopted
-- at this version (baseline) instead of running it again; see Schema.
--
-- The Pekko Persistence JDBC journal and snapshot tables follow the plugin's PostgreSQL layout,
-- without its non-transactional CREATE INDEX CONCURRENTLY.
-- persistence_id is wider than the plugin's VARCHAR(255): a Subscriber's id is
-- "Subscriber|<topic>/<name>" with names of up to 128 characters each, 268 in all.
-- The journal's persistence_id sorts bytewise (COLLATE "C") whatever the server's default:
-- Troupe lists topics, agents and sessions by walking that index in order (JournalIds), and
-- locale collations order punctuation such as '|' and '~' unpredictably. Pekko itself only
-- compares persistence ids for equality, which no collation changes.

CREATE TABLE event_journal (
  ordering BIGSERIAL,
  persistence_id VARCHAR(512) COLLATE "C" NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);

CREATE UNIQUE INDEX event_journal_ordering_idx ON event_journal (ordering);

CREATE TABLE event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY (event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY (event_id) REFERENCES event_journal (ordering) ON DELETE CASCADE
);

CREATE TABLE snapshot (
  persistence_id VARCHAR(512) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY (persistence_id, sequence_number)
);

CREATE TABLE durable_state (
  global_offset BIGSERIAL,
  persistence_id VARCHAR(512) NOT NULL,
  revision BIGINT NOT NULL,
  state_payload BYTEA NOT NULL,
  state_serial_id INTEGER NOT NULL,
  state_serial_manifest VARCHAR(255),
  tag VARCHAR,
  state_timestamp BIGINT NOT NULL,
  PRIMARY KEY (persistence_id)
);

CREATE INDEX state_tag_idx ON durable_state (tag);

CREATE INDEX state_global_offset_idx ON durable_state (global_offset);

-- Pekko Projection JDBC's offset store and management table (projection-jdbc 1.0.0, PostgreSQL
-- dialect, use-lowercase-schema = true): the plugin's own DDL.
CREATE TABLE pekko_projection_offset_store (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  current_offset VARCHAR(255) NOT NULL,
  manifest VARCHAR(4) NOT NULL,
  mergeable BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);

CREATE INDEX projection_name_index ON pekko_projection_offset_store (projection_name);

CREATE TABLE pekko_projection_management (
  projection_name VARCHAR(255) NOT NULL,
  projection_key VARCHAR(255) NOT NULL,
  paused BOOLEAN NOT NULL,
  last_updated BIGINT NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);

-- Read side: tables the projections fill from tagged events and the analytics endpoints query.
-- Text columns are unbounded on purpose: a value too long for a column would stop a projection.
-- Every write is idempotent (keyed upserts, guarded updates, ON CONFLICT DO NOTHING), so a
-- replay after a crash between a batch's work and its offset commit never changes a row twice.

-- One row per agent session, upserted per event; last_seq_nr is the last event applied, so a
-- replayed event (seq <= last_seq_nr) is skipped and counters never double.
CREATE TABLE agent_session (
  session_id TEXT PRIMARY KEY,
  agent_name TEXT NOT NULL,
  role TEXT,
  provider TEXT,
  model TEXT,
  user_id TEXT,
  status TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ,
  duration_ms BIGINT,
  iterations INTEGER NOT NULL DEFAULT 0,
  tool_calls INTEGER NOT NULL DEFAULT 0,
  llm_calls INTEGER NOT NULL DEFAULT 0,
  cache_hits INTEGER NOT NULL DEFAULT 0,
  cache_misses INTEGER NOT NULL DEFAULT 0,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  error TEXT,
  input TEXT,
  output TEXT,
  tools_used TEXT[] NOT NULL DEFAULT '{}',
  last_seq_nr BIGINT NOT NULL
);

CREATE INDEX agent_session_agent_idx ON agent_session (agent_name, started_at);

CREATE INDEX agent_session_started_idx ON agent_session (started_at);

-- One row per approved allocation; status follows it through PREEMPTED, RELEASED, EXPIRED.
CREATE TABLE frequency_allocation (
  allocation_id TEXT PRIMARY KEY,
  theater TEXT NOT NULL,
  decision_id TEXT NOT NULL,
  asset_rid TEXT NOT NULL,
  frequency_mhz DOUBLE PRECISION NOT NULL,
  bandwidth_khz DOUBLE PRECISION NOT NULL,
  power_dbm DOUBLE PRECISION NOT NULL,
  latitude DOUBLE PRECISION NOT NULL,
  longitude DOUBLE PRECISION NOT NULL,
  antenna_height_m DOUBLE PRECISION NOT NULL,
  start_time TIMESTAMPTZ NOT NULL,
  end_time TIMESTAMPTZ NOT NULL,
  priority TEXT NOT NULL,
  purpose TEXT,
  status TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ
);

CREATE INDEX frequency_allocation_frequency_idx ON frequency_allocation (frequency_mhz);

CREATE INDEX frequency_allocation_theater_idx ON frequency_allocation (theater, status);

-- One row per decision, approved or not, with the request it answered.
CREATE TABLE deconfliction_decision (
  decision_id TEXT PRIMARY KEY,
  theater TEXT NOT NULL,
  allocation_id TEXT,
  asset_rid TEXT NOT NULL,
  frequency_mhz DOUBLE PRECISION NOT NULL,
  bandwidth_khz DOUBLE PRECISION NOT NULL,
  power_dbm DOUBLE PRECISION NOT NULL,
  latitude DOUBLE PRECISION NOT NULL,
  longitude DOUBLE PRECISION NOT NULL,
  start_time TIMESTAMPTZ NOT NULL,
  end_time TIMESTAMPTZ NOT NULL,
  priority TEXT NOT NULL,
  purpose TEXT,
  status TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at TIMESTAMPTZ NOT NULL,
  conflict_count INTEGER NOT NULL,
  conflicting_ids TEXT[] NOT NULL,
  preempted_ids TEXT[] NOT NULL,
  violation_count INTEGER NOT NULL,
  violations JSONB NOT NULL,
  reasoning TEXT,
  alternatives DOUBLE PRECISION[] NOT NULL
);

CREATE INDEX deconfliction_decision_decided_idx ON deconfliction_decision (decided_at);

CREATE INDEX deconfliction_decision_theater_idx ON deconfliction_decision (theater, decided_at);

-- One row per broken rule of a decision, keyed by the decision and the rule's place in it.
CREATE TABLE roe_violation (
  decision_id TEXT NOT NULL,
  violation_index INTEGER NOT NULL,
  theater TEXT NOT NULL,
  asset_rid TEXT NOT NULL,
  violation_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  description TEXT,
  frequency_mhz DOUBLE PRECISION NOT NULL,
  occurred_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (decision_id, violation_index)
);

CREATE INDEX roe_violation_occurred_idx ON roe_violation (occurred_at);

-- The security audit log: authentication failures, permission denials, refused-by-rate-limit
-- requests and every mutating request, written by the HTTP edge (never a key, never a body).
CREATE TABLE audit_log (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  user_id TEXT,
  key_id TEXT,
  action TEXT NOT NULL,
  permission TEXT,
  resource TEXT NOT NULL,
  outcome TEXT NOT NULL,
  status INTEGER NOT NULL,
  remote_address TEXT,
  node TEXT NOT NULL
);

CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);

-- Who a session's model calls are charged to: its user (or "anonymous"), agent, provider and
-- model, kept by the cost projection from SessionStarted so it can attribute each later call.
CREATE TABLE model_cost_session (
  session_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  provider TEXT,
  model TEXT
);

-- One row per model call (LlmResponded), keyed by the session and its iteration, so a replayed
-- event inserts nothing. cost_usd is priced from troupe.costs.pricing when projected; an unpriced
-- model has priced = false and cost 0, a cached reply cost 0.
CREATE TABLE model_cost (
  session_id TEXT NOT NULL,
  iteration INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  provider TEXT,
  model TEXT,
  priced_as TEXT,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cost_usd NUMERIC(20, 10) NOT NULL,
  priced BOOLEAN NOT NULL,
  cached BOOLEAN NOT NULL,
  at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (session_id, iteration)
);

CREATE INDEX model_cost_at_idx ON model_cost (at);

CREATE INDEX model_cost_user_idx ON model_cost (user_id, at);

CREATE INDEX model_cost_agent_idx ON model_cost (agent, at);

CREATE INDEX agent_session_user_idx ON agent_session (user_id, started_at);
