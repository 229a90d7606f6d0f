package io.troupe.runtime.readside;

import io.troupe.runtime.db.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The SQL that reads {@code agent_session}, beside the projection that fills it: run on the query
 * pool off the actor threads. A null {@code since} does not filter. Averages are over finished
 * sessions and are null when there are none.
 */
public final class SessionQueries {

  private final Database database;
  private final java.time.Clock clock;

  public SessionQueries(Database database) {
    this(database, java.time.Clock.systemUTC());
  }

  /** With the node's clock, which a running session's duration in a list is counted to. */
  public SessionQueries(Database database, java.time.Clock clock) {
    this.database = database;
    this.clock = clock;
  }

  public record AgentFigures(String agentName, long sessions, long completed, long errors, long cancelled, long running,
                      Double averageDurationMs, Double averageIterations, long toolCalls, long llmCalls,
                      long cacheHits, long cacheMisses) {}

  public record AgentReport(Instant since, AgentFigures totals, List<AgentFigures> agents) {}

  private static final String AGENT_FIGURES = "count(*), count(*) FILTER (WHERE status = 'COMPLETED'),"
      + " count(*) FILTER (WHERE status IN " + io.troupe.runtime.agent.SessionState.Status.FAILED_SQL + "), count(*) FILTER (WHERE status = 'CANCELLED'),"
      + " count(*) FILTER (WHERE status = 'RUNNING'), avg(duration_ms) FILTER (WHERE ended_at IS NOT NULL),"
      + " avg(iterations) FILTER (WHERE ended_at IS NOT NULL), coalesce(sum(tool_calls), 0),"
      + " coalesce(sum(llm_calls), 0), coalesce(sum(cache_hits), 0), coalesce(sum(cache_misses), 0)"
      + " FROM agent_session WHERE (?::timestamptz IS NULL OR started_at >= ?::timestamptz)";

  public CompletionStage<AgentReport> agents(Instant since) {
    return database.query(c -> {
      List<AgentFigures> agents = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT agent_name, " + AGENT_FIGURES + " GROUP BY agent_name ORDER BY agent_name",
          Sql.time(since), Sql.time(since))) {
        while (rs.next()) {
          agents.add(figures(rs.getString(1), rs, 2));
        }
      }
      try (ResultSet rs = Sql.select(c, "SELECT " + AGENT_FIGURES, Sql.time(since), Sql.time(since))) {
        rs.next();
        return new AgentReport(since, figures(null, rs, 1), agents);
      }
    });
  }

  private static AgentFigures figures(String name, ResultSet rs, int i) throws SQLException {
    return new AgentFigures(name, rs.getLong(i), rs.getLong(i + 1), rs.getLong(i + 2), rs.getLong(i + 3),
        rs.getLong(i + 4), Sql.nullableDouble(rs, i + 5), Sql.nullableDouble(rs, i + 6), rs.getLong(i + 7),
        rs.getLong(i + 8), rs.getLong(i + 9), rs.getLong(i + 10));
  }

  /** Which sessions a list shows; a null field does not filter. */
  public record SessionFilter(String status, String agent, String user, Instant since) {}

  /**
   * A session as lists show it, from its {@code agent_session} row: the figures of the full view
   * ({@code GET /api/v1/sessions/{id}}) without its tool calls, which are counted instead. Rows
   * trail the sessions by the read side's lag (about a second).
   */
  public record SessionSummary(String sessionId, String agentName, String status, String input, String owner,
                               String userId, int iterations, int llmCalls, int toolCallCount, List<String> toolsUsed,
                               long inputTokens, long outputTokens, int cacheHits, int cacheMisses, Instant startedAt,
                               Instant endedAt, Long durationMillis, String output, String error) {}

  /** A page of sessions, newest first; {@code next} is the cursor of the following page (null on the last). */
  public record SessionPage(List<SessionSummary> sessions, String next) {}

  /** Inputs and outputs are cut at this many characters in lists, as in the full view. */
  private static final int MAX_TEXT = 16 * 1024;

  /**
   * Sessions matching {@code filter}, newest first (by start, then id), after the one the cursor
   * {@code after} names (null: from the newest).
   */
  public CompletionStage<SessionPage> list(SessionFilter filter, Cursor after, int limit) {
    // Only the conditions asked for, so the planner can start an index scan at the cursor (a
    // generic plan of "? IS NULL OR ..." could not, and would read every newer row first).
    StringBuilder where = new StringBuilder(" WHERE true");
    List<Object> values = new ArrayList<>();
    if (filter.status() != null) {
      where.append(" AND status = ?");
      values.add(filter.status());
    }
    if (filter.agent() != null) {
      where.append(" AND agent_name = ?");
      values.add(filter.agent());
    }
    if (filter.user() != null) {
      where.append(" AND user_id = ?");
      values.add(filter.user());
    }
    if (filter.since() != null) {
      where.append(" AND started_at >= ?");
      values.add(Sql.time(filter.since()));
    }
    if (after != null) {
      where.append(" AND (started_at, session_id) < (?, ?)");
      values.add(Sql.time(after.at()));
      values.add(after.id());
    }
    values.add(limit + 1);
    String sql = "SELECT session_id, agent_name, status, input, user_id, iterations, llm_calls, tool_calls, tools_used,"
        + " input_tokens, output_tokens, cache_hits, cache_misses, started_at, ended_at, duration_ms, output, error"
        + " FROM agent_session" + where + " ORDER BY started_at DESC, session_id DESC LIMIT ?";
    Instant now = clock.instant();
    return database.query(c -> {
      List<SessionSummary> rows = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, sql, values.toArray())) {
        while (rs.next()) {
          rows.add(summary(rs, now));
        }
      }
      boolean more = rows.size() > limit;
      List<SessionSummary> page = more ? rows.subList(0, limit) : rows;
      SessionSummary last = page.isEmpty() ? null : page.get(page.size() - 1);
      return new SessionPage(List.copyOf(page), more ? new Cursor(last.startedAt(), last.sessionId()).encode() : null);
    });
  }

  private static SessionSummary summary(ResultSet rs, Instant now) throws SQLException {
    Instant started = Sql.instant(rs, 14);
    Instant ended = Sql.instant(rs, 15);
    long duration = rs.getLong(16);
    Long durationMillis = !rs.wasNull() ? Long.valueOf(duration)
        : started == null ? null : java.time.Duration.between(started, now).toMillis();
    java.sql.Array tools = rs.getArray(9);
    return new SessionSummary(rs.getString(1), rs.getString(2), rs.getString(3), cut(rs.getString(4)),
        rs.getString(5), rs.getString(5), rs.getInt(6), rs.getInt(7), rs.getInt(8),
        tools == null ? List.of() : List.of((String[]) tools.getArray()), rs.getLong(10), rs.getLong(11), rs.getInt(12),
        rs.getInt(13), started, ended, durationMillis, cut(rs.getString(17)), cut(rs.getString(18)));
  }

  private static String cut(String text) {
    return text == null || text.length() <= MAX_TEXT ? text
        : text.substring(0, MAX_TEXT) + "…(" + (text.length() - MAX_TEXT) + " more characters)";
  }
  /**
   * Running sessions with ids after {@code after} (empty: from the first), in id order, at most
   * {@code limit}; only those started before {@code startedBefore} (null: all). What
   * {@link io.troupe.runtime.agent.SessionReviver} wakes. The read side says which run, but it
   * trails the journal (by about a second; by as long as an outage lasted when its projection
   * catches up): a session whose last journaled event ends it is left out, so a lagging read side
   * does not make each sweep replay thousands of finished sessions. One probe of the journal's
   * primary key per row (its last event); the partial index on running sessions keeps the rows to
   * those that run.
   */
  public CompletionStage<List<String>> running(String after, Instant startedBefore, int limit) {
    return database.query(c -> {
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT s.session_id FROM agent_session s WHERE s.status = 'RUNNING'"
              + " AND s.session_id > ? AND (?::timestamptz IS NULL OR s.started_at < ?::timestamptz)"
              + " AND coalesce((SELECT j.event_ser_manifest FROM event_journal j WHERE j.persistence_id = ? || s.session_id"
              + " AND j.deleted = false ORDER BY j.sequence_number DESC LIMIT 1), '') !~ ?"
              + " ORDER BY s.session_id LIMIT ?",
          after, Sql.time(startedBefore), Sql.time(startedBefore), SESSION_PID_PREFIX, ENDED_MANIFEST, limit)) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    });
  }

  /**
   * Sessions waiting for a person (input or an approval) whose wait ended by its deadline before
   * {@code now}: out of memory by then, they are woken to end it. After {@code after}, in id order.
   */
  public CompletionStage<List<String>> due(String after, Instant now, int limit) {
    return database.query(c -> {
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT session_id FROM agent_session"
              + " WHERE status IN ('WAITING_FOR_INPUT', 'AWAITING_APPROVAL') AND wake_at <= ? AND session_id > ?"
              + " ORDER BY session_id LIMIT ?", Sql.time(now), after, limit)) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    });
  }

  /** A tool call waiting for a decision, as the read side has it (it trails the journal by about a second). */
  public record PendingApproval(String sessionId, String agentName, String owner, String callId, String tool,
                                String argumentsJson, Instant requestedAt, Instant deadline) {}

  /**
   * Approvals waiting for a decision, in session id order after {@code after}: of {@code owner}'s
   * sessions (null: everyone's), of {@code agent} (null: any), of {@code sessionId} (null: any).
   */
  public CompletionStage<List<PendingApproval>> pendingApprovals(String owner, String agent, String sessionId,
                                                                 String after, int limit) {
    return database.query(c -> {
      List<PendingApproval> out = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT session_id, agent_name, user_id, pending_call_id, pending_tool,"
              + " pending_arguments, approval_requested_at, wake_at FROM agent_session"
              + " WHERE status = 'AWAITING_APPROVAL' AND pending_call_id IS NOT NULL AND session_id > ?"
              + " AND (?::text IS NULL OR user_id = ?::text) AND (?::text IS NULL OR agent_name = ?::text)"
              + " AND (?::text IS NULL OR session_id = ?::text) ORDER BY session_id LIMIT ?",
          after, owner, owner, agent, agent, sessionId, sessionId, limit)) {
        while (rs.next()) {
          out.add(new PendingApproval(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
              rs.getString(5), rs.getString(6), instant(rs, 7), instant(rs, 8)));
        }
      }
      return out;
    });
  }

  private static Instant instant(ResultSet rs, int i) throws SQLException {
    java.sql.Timestamp t = rs.getTimestamp(i);
    return t == null ? null : t.toInstant();
  }

  private static final String SESSION_PID_PREFIX = io.troupe.runtime.agent.Session.ENTITY_KEY.name() + "|";

  /** The manifests (class names) of the events after which a session runs nothing: it ended, or it waits. */
  private static final String ENDED_MANIFEST = "\\$(" + String.join("|",
      io.troupe.runtime.agent.Session.SessionCompleted.class.getSimpleName(),
      io.troupe.runtime.agent.Session.SessionFailed.class.getSimpleName(),
      io.troupe.runtime.agent.Session.SessionCancelled.class.getSimpleName(),
      io.troupe.runtime.agent.Session.SessionParked.class.getSimpleName(),
      // Then it waits for a person: nothing runs until a message or a decision comes.
      io.troupe.runtime.agent.Session.TurnCompleted.class.getSimpleName(),
      io.troupe.runtime.agent.Session.ApprovalRequested.class.getSimpleName()) + ")(#.*)?$";
}
