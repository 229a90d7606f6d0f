package io.troupe.bench;

import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.ModelConstants;
import io.troupe.runtime.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The PostgreSQL peer: the same allocations in a table a user would build for deconfliction,
 * frequency band as a numrange and window as a tstzrange, under the multicolumn GiST index an
 * {@code EXCLUDE USING gist (theater WITH =, band WITH &&, during WITH &&)} constraint builds (plus
 * the position, so the distance prefilter is indexed too; btree_gist for the theater). The
 * constraint itself is left out: these allocations overlap each other in band and window all the
 * time (interference also depends on distance and power, which an exclusion constraint cannot
 * weigh), and it would reject them. The probe is the candidate query only (step 2 of the model:
 * band within the gap rule, window overlap, position in the bounding box of the largest radio
 * reach), over one JDBC connection with a prepared statement, every row read; the interference
 * arithmetic the in-process figure includes is not done.
 */
final class PostgresProbe implements AutoCloseable {

  static final String TABLE = "bench_allocation";

  private static final String INSERT = "INSERT INTO " + TABLE + " (id, theater, band, during, position, centre_mhz, "
      + "bandwidth_mhz, power_dbm, antenna_m, priority) VALUES (?, ?, numrange(?::numeric, ?::numeric, '[]'), "
      + "tstzrange(?::timestamptz, ?::timestamptz, '[)'), point(?, ?), ?, ?, ?, ?, ?)";

  static final String PROBE = "SELECT id, centre_mhz, bandwidth_mhz, power_dbm, position[0], position[1], antenna_m, "
      + "priority FROM " + TABLE + " WHERE theater = ? "
      + "AND band && numrange(?::numeric, ?::numeric, '[]') "
      + "AND during && tstzrange(?::timestamptz, ?::timestamptz, '[)') "
      + "AND position <@ box(point(?, ?), point(?, ?)) "
      + "AND GREATEST(lower(band), ?::numeric) - LEAST(upper(band), ?::numeric) "
      + "< ?::numeric * GREATEST(?::numeric, upper(band) - lower(band))";

  record Result(SpectrumWorkload.Latencies latencies, double meanRows, double loadSeconds, String plan) {}

  private final Connection connection;

  PostgresProbe(DatabaseTarget target) throws SQLException {
    connection = DriverManager.getConnection(RawJdbcInsertBenchmark.withBatchRewrite(target.jdbcUrl()), target.user(),
        target.password());
    try (Statement s = connection.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS btree_gist");
      s.execute("DROP TABLE IF EXISTS " + TABLE);
      s.execute("CREATE TABLE " + TABLE + " (id bigint PRIMARY KEY, theater text NOT NULL, band numrange NOT NULL, "
          + "during tstzrange NOT NULL, position point NOT NULL, centre_mhz float8 NOT NULL, bandwidth_mhz float8 NOT NULL, "
          + "power_dbm float8 NOT NULL, antenna_m float8 NOT NULL, priority smallint NOT NULL)");
      s.execute("CREATE INDEX " + TABLE + "_gist ON " + TABLE + " USING gist (theater, band, during, position)");
    }
  }

  /** Loads the theater's allocations (batches of 1000, one transaction each, index maintained) and analyzes. */
  double load(String theater, Emission[] allocations) throws SQLException {
    long t0 = System.nanoTime();
    connection.setAutoCommit(false);
    try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
      for (int i = 0; i < allocations.length; i++) {
        Emission e = allocations[i];
        insert.setLong(1, i + 1);
        insert.setString(2, theater);
        insert.setDouble(3, e.lowMhz());
        insert.setDouble(4, e.highMhz());
        insert.setObject(5, OffsetDateTime.ofInstant(e.start(), ZoneOffset.UTC));
        insert.setObject(6, OffsetDateTime.ofInstant(e.end(), ZoneOffset.UTC));
        insert.setDouble(7, e.longitude());
        insert.setDouble(8, e.latitude());
        insert.setDouble(9, e.frequencyMhz());
        insert.setDouble(10, e.bandwidthMhz());
        insert.setDouble(11, e.powerDbm());
        insert.setDouble(12, e.antennaHeightM());
        insert.setShort(13, (short) e.priority().ordinal());
        insert.addBatch();
        if ((i + 1) % 1000 == 0 || i == allocations.length - 1) {
          insert.executeBatch();
          connection.commit();
        }
      }
    } finally {
      connection.setAutoCommit(true);
    }
    try (Statement s = connection.createStatement()) {
      s.execute("VACUUM ANALYZE " + TABLE);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  void truncate() throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("TRUNCATE " + TABLE);
    }
  }

  /** Runs the probe for every request after the warm-up ones; times each (execute and read every row). */
  Result probe(String theater, double widestMhz, Emission[] warmup, Emission[] requests, double loadSeconds)
      throws SQLException {
    String plan;
    try (PreparedStatement explain = connection.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + PROBE)) {
      bind(explain, theater, widestMhz, requests[0]);
      StringBuilder s = new StringBuilder();
      try (ResultSet rs = explain.executeQuery()) {
        while (rs.next()) {
          s.append("    ").append(rs.getString(1)).append('\n');
        }
      }
      plan = s.toString();
    }
    long rows = 0;
    long[] nanos = new long[requests.length];
    try (PreparedStatement probe = connection.prepareStatement(PROBE)) {
      for (Emission e : warmup) {
        rows += run(probe, theater, widestMhz, e);
      }
      rows = 0;
      for (int i = 0; i < requests.length; i++) {
        long t0 = System.nanoTime();
        rows += run(probe, theater, widestMhz, requests[i]);
        nanos[i] = System.nanoTime() - t0;
      }
    }
    return new Result(SpectrumWorkload.Latencies.of(nanos, nanos.length), (double) rows / requests.length, loadSeconds,
        plan);
  }

  private static long run(PreparedStatement probe, String theater, double widestMhz, Emission e) throws SQLException {
    bind(probe, theater, widestMhz, e);
    long rows = 0;
    double sink = 0;
    try (ResultSet rs = probe.executeQuery()) {
      while (rs.next()) {
        sink += rs.getLong(1) + rs.getDouble(2) + rs.getDouble(3) + rs.getDouble(4) + rs.getDouble(5)
            + rs.getDouble(6) + rs.getDouble(7) + rs.getShort(8);
        rows++;
      }
    }
    return sink == -1 ? rows + 1 : rows;
  }

  /** The request's candidate window: the gap rule against the widest allocation, and the largest radio reach. */
  private static void bind(PreparedStatement ps, String theater, double widestMhz, Emission e) throws SQLException {
    ModelConstants k = ModelConstants.DEFAULT;
    double widen = k.candidateGapFactor() * Math.max(e.bandwidthMhz(), widestMhz);
    double reachKm = Math.min(k.maxCandidateDistanceKm(), k.radioHorizonFactor() * (Math.sqrt(e.antennaHeightM())
        + Math.sqrt(30))) * 1.001;
    double dLat = reachKm / SpectrumWorkload.KM_PER_DEG_LAT;
    double dLon = reachKm / (SpectrumWorkload.KM_PER_DEG_LAT * Math.cos(Math.toRadians(Math.abs(e.latitude()) + dLat)));
    ps.setString(1, theater);
    ps.setDouble(2, e.lowMhz() - widen);
    ps.setDouble(3, e.highMhz() + widen);
    ps.setObject(4, OffsetDateTime.ofInstant(e.start(), ZoneOffset.UTC));
    ps.setObject(5, OffsetDateTime.ofInstant(e.end(), ZoneOffset.UTC));
    ps.setDouble(6, e.longitude() - dLon);
    ps.setDouble(7, e.latitude() - dLat);
    ps.setDouble(8, e.longitude() + dLon);
    ps.setDouble(9, e.latitude() + dLat);
    ps.setDouble(10, e.lowMhz());
    ps.setDouble(11, e.highMhz());
    ps.setDouble(12, k.candidateGapFactor());
    ps.setDouble(13, e.bandwidthMhz());
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
