package io.troupe.runtime.readside;

import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Session;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps one {@code agent_session} row per session from its events. Each row remembers the last
 * event applied ({@code last_seq_nr}); an event at or below it is a replay and changes nothing,
 * so counters never double when a group is delivered again after a crash.
 */
public final class SessionProjectionHandler
    extends JdbcHandler<List<EventEnvelope<Session.Event>>, ReadSideSession> {

  private static final String DURATION = "GREATEST(0, (EXTRACT(EPOCH FROM (?::timestamptz - started_at)) * 1000)::bigint)";

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<Session.Event>> envelopes) throws Exception {
    session.withConnection(c -> {
      for (EventEnvelope<Session.Event> envelope : envelopes) {
        apply(c, entityId(envelope.persistenceId()), envelope.sequenceNr(), envelope.event());
      }
      return null;
    });
  }

  private static void apply(Connection c, String sessionId, long seqNr, Session.Event event) throws SQLException {
    if (event instanceof Session.SessionStarted s) {
      started(c, sessionId, seqNr, s);
    } else if (event instanceof Session.LlmResponded r) {
      update(c, sessionId, seqNr, "iterations = GREATEST(iterations, ?), llm_calls = llm_calls + 1,"
              + " cache_hits = cache_hits + ?, cache_misses = cache_misses + ?,"
              + " input_tokens = input_tokens + ?, output_tokens = output_tokens + ?",
          r.iteration(), r.cached() ? 1 : 0, r.cacheable() && !r.cached() ? 1 : 0,
          r.usage() == null ? 0 : r.usage().inputTokens(), r.usage() == null ? 0 : r.usage().outputTokens());
    } else if (event instanceof Session.ToolCallStarted t) {
      update(c, sessionId, seqNr, "tool_calls = tool_calls + 1,"
          + " tools_used = CASE WHEN ?::text = ANY(tools_used) THEN tools_used ELSE array_append(tools_used, ?::text) END",
          t.name(), t.name());
    } else if (event instanceof Session.SessionCompleted done) {
      update(c, sessionId, seqNr, "status = 'COMPLETED', output = ?, ended_at = ?, wake_at = NULL, duration_ms = "
          + DURATION, done.output(), time(done.at()), time(done.at()));
    } else if (event instanceof Session.TurnStarted t) {
      update(c, sessionId, seqNr, "status = 'RUNNING', turns = GREATEST(turns, ?), wake_at = NULL", t.turn());
    } else if (event instanceof Session.TurnCompleted t) {
      update(c, sessionId, seqNr, "status = 'WAITING_FOR_INPUT', output = ?, wake_at = ?", t.output(),
          time(t.idleDeadline()));
    } else if (event instanceof Session.ApprovalRequested a) {
      update(c, sessionId, seqNr, "status = 'AWAITING_APPROVAL', wake_at = ?, pending_call_id = ?, pending_tool = ?,"
              + " pending_arguments = ?, approval_requested_at = ?",
          time(a.deadline()), a.callId(), a.tool(), a.argumentsJson(), time(a.at()));
    } else if (event instanceof Session.ApprovalDecided d) {
      update(c, sessionId, seqNr, "status = 'RUNNING', wake_at = NULL, pending_call_id = NULL, pending_tool = NULL,"
          + " pending_arguments = NULL, approval_requested_at = NULL");
    } else if (event instanceof Session.SessionFailed failed) {
      update(c, sessionId, seqNr, "status = ?, error = ?, ended_at = ?, wake_at = NULL, duration_ms = " + DURATION,
          io.troupe.runtime.agent.SessionState.Status.of(failed).name(), failed.reason(), time(failed.at()),
          time(failed.at()));
    } else if (event instanceof Session.SessionParked parked) {
      update(c, sessionId, seqNr, "status = 'FAILED_RECOVERY', error = ?, ended_at = ?, duration_ms = " + DURATION,
          parked.reason(), time(parked.at()), time(parked.at()));
    } else if (event instanceof Session.SessionCancelled cancelled) {
      // A parked session's work ended when it was parked (as in SessionState): keep that end.
      update(c, sessionId, seqNr, "status = 'CANCELLED', error = 'cancelled', wake_at = NULL,"
              + " pending_call_id = NULL, ended_at = COALESCE(ended_at, ?),"
              + " duration_ms = COALESCE(duration_ms, " + DURATION + ")",
          time(cancelled.at()), time(cancelled.at()));
    }
    // ToolCallCompleted, SessionResumed and InputQueued change no figure of the row.
  }

  private static void started(Connection c, String sessionId, long seqNr, Session.SessionStarted s) throws SQLException {
    AgentDefinition def = s.definition();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO agent_session (session_id, agent_name, role, provider,"
        + " model, user_id, status, started_at, input, last_seq_nr) VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?)"
        + " ON CONFLICT (session_id) DO NOTHING")) {
      bind(ps, sessionId, s.agentName(), def == null ? null : def.role(), def == null ? null : def.provider(),
          def == null ? null : def.model(), s.userId(), time(s.startedAt()), s.input(), seqNr);
      ps.executeUpdate();
    }
  }

  /** Applies {@code set} unless the row has seen this event already. */
  private static void update(Connection c, String sessionId, long seqNr, String set, Object... values) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE agent_session SET " + set + ", last_seq_nr = ?"
        + " WHERE session_id = ? AND last_seq_nr < ?")) {
      Object[] all = new Object[values.length + 3];
      System.arraycopy(values, 0, all, 0, values.length);
      all[values.length] = seqNr;
      all[values.length + 1] = sessionId;
      all[values.length + 2] = seqNr;
      bind(ps, all);
      ps.executeUpdate();
    }
  }

  static void bind(PreparedStatement ps, Object... values) throws SQLException {
    Sql.bind(ps, values);
  }

  static OffsetDateTime time(Instant instant) {
    return Sql.time(instant);
  }

  /** "Session|agent~id" → "agent~id". */
  static String entityId(String persistenceId) {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? persistenceId : persistenceId.substring(bar + 1);
  }
}
