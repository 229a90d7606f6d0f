package io.troupe.runtime.readside;

import io.troupe.runtime.db.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * SQL over {@code model_cost} (one row per model call, priced by the cost projection). A null
 * {@code userId} or {@code agent} does not filter. The read side lags the sessions by about a second.
 */
public final class CostQueries {

  private final Database database;

  public CostQueries(Database database) {
    this.database = database;
  }

  /** Totals of a group of calls (a model, an agent, a user, or all). */
  public record Totals(String key, long calls, long inputTokens, long outputTokens, double costUsd, long unpricedCalls,
                long cachedCalls) {}

  /** Calls of one agent on one model: what recommendations compare. */
  public record AgentModelMix(String agent, String model, String pricedAs, boolean priced, long calls, double avgInputTokens,
                       double avgOutputTokens, double avgCostUsd) {}

  private static final String TOTALS = "count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
      + " coalesce(sum(cost_usd), 0)::float8, count(*) FILTER (WHERE NOT priced), count(*) FILTER (WHERE cached)";

  private static final String WHERE = " FROM model_cost WHERE at >= ?::timestamptz AND at < ?::timestamptz"
      + " AND (?::text IS NULL OR user_id = ?::text) AND (?::text IS NULL OR agent = ?::text)";

  private static Object[] filter(Instant from, Instant to, String userId, String agent) {
    return new Object[] {Sql.time(from), Sql.time(to), userId, userId, agent, agent};
  }

  /** Totals in [from, to), and grouped by {@code column} (model, agent or user_id). */
  public CompletionStage<Map<String, List<Totals>>> totals(Instant from, Instant to, String userId, String agent,
                                                    List<String> groupings) {
    return database.query(c -> {
      Map<String, List<Totals>> out = new LinkedHashMap<>();
      out.put("all", grouped(c, null, from, to, userId, agent));
      for (String column : groupings) {
        out.put(column, grouped(c, column, from, to, userId, agent));
      }
      return out;
    });
  }

  private static List<Totals> grouped(Connection c, String column, Instant from, Instant to, String userId, String agent)
      throws SQLException {
    String sql = column == null ? "SELECT NULL, " + TOTALS + WHERE
        : "SELECT " + column + ", " + TOTALS + WHERE + " GROUP BY " + column + " ORDER BY 5 DESC, 1";
    List<Totals> rows = new ArrayList<>();
    try (ResultSet rs = Sql.select(c, sql, filter(from, to, userId, agent))) {
      while (rs.next()) {
        rows.add(new Totals(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getDouble(5),
            rs.getLong(6), rs.getLong(7)));
      }
    }
    return rows;
  }

  /** Cost per UTC day in [from, to), every day present (0 when nothing was spent). */
  public CompletionStage<Map<LocalDate, Double>> dailyTotals(LocalDate from, LocalDate to, String userId, String agent) {
    return database.query(c -> {
      Map<LocalDate, Double> days = new LinkedHashMap<>();
      for (LocalDate d = from; d.isBefore(to); d = d.plusDays(1)) {
        days.put(d, 0.0);
      }
      Instant start = from.atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
      Instant end = to.atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
      try (ResultSet rs = Sql.select(c, "SELECT (at AT TIME ZONE 'UTC')::date, coalesce(sum(cost_usd), 0)::float8"
          + WHERE + " GROUP BY 1", filter(start, end, userId, agent))) {
        while (rs.next()) {
          days.put(rs.getObject(1, LocalDate.class), rs.getDouble(2));
        }
      }
      return days;
    });
  }

  /** Per agent and model: calls that reached a provider (not cached), average tokens and cost. */
  public CompletionStage<List<AgentModelMix>> agentMixes(Instant from, Instant to, String userId, String agent) {
    return database.query(c -> {
      List<AgentModelMix> rows = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT agent, model, priced_as, bool_and(priced), count(*), avg(input_tokens)::float8,"
          + " avg(output_tokens)::float8, avg(cost_usd)::float8" + WHERE + " AND NOT cached GROUP BY agent, model, priced_as"
          + " ORDER BY agent, model", filter(from, to, userId, agent))) {
        while (rs.next()) {
          rows.add(new AgentModelMix(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getLong(5),
              rs.getDouble(6), rs.getDouble(7), rs.getDouble(8)));
        }
      }
      return rows;
    });
  }
}
