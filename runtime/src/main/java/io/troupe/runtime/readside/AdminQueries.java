package io.troupe.runtime.readside;

import io.troupe.runtime.agent.SessionState;
import io.troupe.runtime.db.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** The admin views' SQL over {@code agent_session} and {@code model_cost}. */
public final class AdminQueries {

  private final Database database;

  public AdminQueries(Database database) {
    this.database = database;
  }

  /** Sessions started since a time: finished ones count as successes (COMPLETED) or failures (ERROR, TIMEOUT). */
  public record RequestFigures(String agent, long requests, long successes, long failures, long cancelled, long running,
                        Double successRate, Double averageExecutionMs, long inputTokens, long outputTokens,
                        double costUsd) {}

  public record AdminMetrics(int hours, Instant since, RequestFigures totals, List<RequestFigures> agents) {}

  public record SessionRow(String sessionId, String agent, String userId, String status, String error, Instant startedAt,
                    Instant endedAt, Long durationMs, int iterations, int toolCalls, long inputTokens,
                    long outputTokens, double costUsd) {}

  public record Errors(int limit, List<SessionRow> errors) {}

  public record UserActivity(String userId, long sessions, double costUsd, List<SessionRow> recent) {}

  private static final String FIGURES = "count(*), count(*) FILTER (WHERE s.status = 'COMPLETED'),"
      + " count(*) FILTER (WHERE s.status IN " + SessionState.Status.FAILED_SQL + "), count(*) FILTER (WHERE s.status = 'CANCELLED'),"
      + " count(*) FILTER (WHERE s.status = 'RUNNING'), avg(s.duration_ms) FILTER (WHERE s.ended_at IS NOT NULL)::float8,"
      + " coalesce(sum(s.input_tokens), 0), coalesce(sum(s.output_tokens), 0), coalesce(sum(c.cost_usd), 0)::float8"
      + " FROM agent_session s LEFT JOIN (SELECT session_id, sum(cost_usd) AS cost_usd FROM model_cost"
      + " GROUP BY session_id) c ON c.session_id = s.session_id WHERE s.started_at >= ?::timestamptz";

  public CompletionStage<AdminMetrics> metrics(int hours) {
    Instant since = Instant.now().minusSeconds(hours * 3600L);
    return database.query(c -> {
      List<RequestFigures> agents = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT s.agent_name, " + FIGURES + " GROUP BY s.agent_name ORDER BY 1",
          Sql.time(since))) {
        while (rs.next()) {
          agents.add(figures(rs.getString(1), rs));
        }
      }
      try (ResultSet rs = Sql.select(c, "SELECT NULL, " + FIGURES, Sql.time(since))) {
        rs.next();
        return new AdminMetrics(hours, since, figures(null, rs), agents);
      }
    });
  }

  private static RequestFigures figures(String agent, ResultSet rs) throws SQLException {
    long successes = rs.getLong(3);
    long failures = rs.getLong(4);
    return new RequestFigures(agent, rs.getLong(2), successes, failures, rs.getLong(5), rs.getLong(6),
        successes + failures == 0 ? null : (double) successes / (successes + failures), Sql.nullableDouble(rs, 7),
        rs.getLong(8), rs.getLong(9), rs.getDouble(10));
  }

  private static final String SESSION_ROW = "SELECT s.session_id, s.agent_name, s.user_id, s.status, s.error,"
      + " s.started_at, s.ended_at, s.duration_ms, s.iterations, s.tool_calls, s.input_tokens, s.output_tokens,"
      + " coalesce((SELECT sum(cost_usd) FROM model_cost c WHERE c.session_id = s.session_id), 0)::float8"
      + " FROM agent_session s";

  /** The most recent failed sessions (ERROR or TIMEOUT), newest first. */
  public CompletionStage<Errors> errors(int limit) {
    return database.query(c -> new Errors(limit, rows(c.prepareStatement(SESSION_ROW
        + " WHERE s.status IN " + SessionState.Status.FAILED_SQL + " ORDER BY s.ended_at DESC NULLS LAST, s.session_id LIMIT ?"), limit)));
  }

  /** A user's most recent sessions, newest first, with the number and cost of all of them. */
  public CompletionStage<UserActivity> userActivity(String userId, int limit) {
    return database.query(c -> {
      List<SessionRow> recent = rows(c.prepareStatement(SESSION_ROW
          + " WHERE s.user_id = ? ORDER BY s.started_at DESC, s.session_id LIMIT ?"), userId, limit);
      try (ResultSet rs = Sql.select(c, "SELECT (SELECT count(*) FROM agent_session WHERE user_id = ?),"
          + " (SELECT coalesce(sum(cost_usd), 0)::float8 FROM model_cost WHERE user_id = ?)", userId, userId)) {
        rs.next();
        return new UserActivity(userId, rs.getLong(1), rs.getDouble(2), recent);
      }
    });
  }

  private static List<SessionRow> rows(java.sql.PreparedStatement ps, Object... values) throws SQLException {
    try (ps) {
      for (int i = 0; i < values.length; i++) {
        ps.setObject(i + 1, values[i]);
      }
      List<SessionRow> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long duration = rs.getLong(8);
          Long durationMs = rs.wasNull() ? null : duration;
          rows.add(new SessionRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
              Sql.instant(rs, 6), Sql.instant(rs, 7), durationMs, rs.getInt(9), rs.getInt(10), rs.getLong(11),
              rs.getLong(12), rs.getDouble(13)));
        }
      }
      return rows;
    }
  }
}
