-- Troupe's schema: the Pekko Persistence JDBC journal and snapshot tables (the plugin's
-- PostgreSQL layout), written to be run on every start. The plugin's own script is not
-- re-runnable (an index without IF NOT EXISTS, CREATE INDEX CONCURRENTLY, which cannot run
-- inside a transaction), so this is a copy that is. Statements are separated by ";" at line ends.
-- persistence_id is wider than the plugin's VARCHAR(255): a Subscriber's id is
-- "Subscriber|<topic>/<name>" with names of up to 128 characters each, 268 in all.
-- The journal's persistence_id sorts bytewise (COLLATE "C") whatever the server's default:
-- Troupe lists topics, agents and sessions by walking that index in order (JournalIds), and
-- locale collations order punctuation such as '|' and '~' unpredictably. Pekko itself only
-- compares persistence ids for equality, which no collation changes.

CREATE TABLE IF NOT EXISTS event_journal (
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

CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal (ordering);

CREATE TABLE IF NOT EXISTS event_tag (
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY (event_id, tag),
  CONSTRAINT fk_event_journal FOREIGN KEY (event_id) REFERENCES event_journal (ordering) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS snapshot (
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

CREATE TABLE IF NOT EXISTS durable_state (
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

CREATE INDEX IF NOT EXISTS state_tag_idx ON durable_state (tag);

CREATE INDEX IF NOT EXISTS state_global_offset_idx ON durable_state (global_offset);

-- Journals created before the widening or the "C" collation: converted once (this rebuilds the
-- primary key). A plain ALTER ... TYPE without COLLATE would reset the collation, hence the check.
DO $$ BEGIN IF (SELECT collation_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'event_journal' AND column_name = 'persistence_id') IS DISTINCT FROM 'C' THEN ALTER TABLE event_journal ALTER COLUMN persistence_id TYPE VARCHAR(512) COLLATE "C"; END IF; END $$;

-- Databases created before persistence_id was widened: widening a VARCHAR is a catalog-only
-- change in PostgreSQL (no table rewrite), and a no-op when the column is already 512.
ALTER TABLE snapshot ALTER COLUMN persistence_id TYPE VARCHAR(512);

ALTER TABLE durable_state ALTER COLUMN persistence_id TYPE VARCHAR(512);
