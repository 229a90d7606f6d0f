package io.troupe.runtime.readside;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The JDBC helpers of the read side: projections bind with them, the query classes of every
 * feature (sessions, costs, spectrum, audit) select with them. One place for how values meet
 * PostgreSQL.
 */
public final class Sql {

  private Sql() {}

  /** Runs a query; the statement closes with the connection, which the caller's work returns to the pool. */
  public static ResultSet select(Connection c, String sql, Object... values) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    ps.closeOnCompletion();
    bind(ps, values);
    return ps.executeQuery();
  }

  private static final Instant MIN_TIME = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant MAX_TIME = Instant.parse("9999-12-31T23:59:59Z");

  /** An instant as a timestamptz value, clamped to the years PostgreSQL stores (1..9999). */
  public static OffsetDateTime time(Instant instant) {
    if (instant == null) {
      return null;
    }
    Instant t = instant.isBefore(MIN_TIME) ? MIN_TIME : instant.isAfter(MAX_TIME) ? MAX_TIME : instant;
    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  /**
   * Binds values to a statement, made safe for PostgreSQL: text never carries NUL (PostgreSQL's
   * text cannot hold it; it may come from a model's output), so it becomes U+FFFD. A value the
   * database refuses would stop a projection on that event for good.
   */
  public static void bind(PreparedStatement ps, Object... values) throws SQLException {
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      if (v instanceof String s && s.indexOf('\u0000') >= 0) {
        v = s.replace('\u0000', '\uFFFD');
      }
      ps.setObject(i + 1, v);
    }
  }

  public static Instant instant(ResultSet rs, int i) throws SQLException {
    Timestamp t = rs.getTimestamp(i);
    return t == null ? null : t.toInstant();
  }

  public static Double nullableDouble(ResultSet rs, int i) throws SQLException {
    double d = rs.getDouble(i);
    return rs.wasNull() ? null : d;
  }
}
