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

  public SessionQueries(Database database) {
    this.database = database;
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
}
