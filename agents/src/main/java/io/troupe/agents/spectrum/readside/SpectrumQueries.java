package io.troupe.agents.spectrum.readside;

import io.troupe.runtime.readside.Sql;

import io.troupe.agents.spectrum.AllocationStatus;
import io.troupe.agents.spectrum.Severity;
import io.troupe.runtime.db.Database;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The SQL that reads the spectrum's read tables ({@code deconfliction_decision},
 * {@code roe_violation}, {@code frequency_allocation}), beside the projection that fills them: run
 * on the query pool off the actor threads. A null {@code since} or {@code theater} does not filter.
 */
public final class SpectrumQueries {

  private final Database database;

  public SpectrumQueries(Database database) {
    this.database = database;
  }

  /**
   * {@code pendingApproval}: requests held for an administrator's approval now; {@code rejected}:
   * held requests rejected or expired (a held request approved counts as the decision it got).
   */
  public record DeconflictionReport(Instant since, String theater, long totalRequests, long approved, long denied,
                             long conflicts, long preemptions, double approvalRate, long pendingApproval,
                             long rejected) {}

  public record RoeViolationReport(Instant since, String theater, long total, Map<String, Long> bySeverity,
                            Map<String, Long> byType) {}

  public record AllocationRow(String allocationId, String theater, String assetRid, double frequencyMhz,
                       double bandwidthKhz, double powerDbm, String priority, String purpose, String status,
                       Instant startTime, Instant endTime, Instant decidedAt, Instant endedAt) {}

  public record FrequencyUsage(double minMhz, double maxMhz, String theater, long total, Map<String, Long> byStatus,
                        List<AllocationRow> allocations, boolean truncated) {}

  public CompletionStage<DeconflictionReport> deconfliction(Instant since, String theater) {
    return database.query(c -> {
      try (ResultSet rs = Sql.select(c, "SELECT count(*), count(*) FILTER (WHERE status = 'APPROVED'),"
              + " count(*) FILTER (WHERE status = 'DENIED'), count(*) FILTER (WHERE status = 'CONFLICT'),"
              + " coalesce(sum(cardinality(preempted_ids)), 0), count(*) FILTER (WHERE status = 'PENDING_APPROVAL'),"
              + " count(*) FILTER (WHERE status = 'REJECTED') FROM deconfliction_decision" + filter("decided_at"),
          Sql.time(since), Sql.time(since), theater, theater)) {
        rs.next();
        long total = rs.getLong(1);
        long approved = rs.getLong(2);
        return new DeconflictionReport(since, theater, total, approved, rs.getLong(3), rs.getLong(4), rs.getLong(5),
            total == 0 ? 0.0 : (double) approved / total, rs.getLong(6), rs.getLong(7));
      }
    });
  }

  public CompletionStage<RoeViolationReport> roeViolations(Instant since, String theater) {
    return database.query(c -> {
      Map<String, Long> bySeverity = new LinkedHashMap<>();
      for (Severity s : Severity.values()) {
        bySeverity.put(s.name(), 0L);
      }
      Map<String, Long> byType = new LinkedHashMap<>();
      long total = 0;
      try (ResultSet rs = Sql.select(c, "SELECT severity, violation_type, count(*) FROM roe_violation"
          + filter("occurred_at") + " GROUP BY severity, violation_type ORDER BY violation_type",
          Sql.time(since), Sql.time(since), theater, theater)) {
        while (rs.next()) {
          long n = rs.getLong(3);
          bySeverity.merge(rs.getString(1), n, Long::sum);
          byType.merge(rs.getString(2), n, Long::sum);
          total += n;
        }
      }
      return new RoeViolationReport(since, theater, total, bySeverity, byType);
    });
  }

  public CompletionStage<FrequencyUsage> frequencyUsage(double minMhz, double maxMhz, String theater, int limit) {
    String where = " FROM frequency_allocation WHERE frequency_mhz + bandwidth_khz / 2000 >= ?"
        + " AND frequency_mhz - bandwidth_khz / 2000 <= ? AND (?::text IS NULL OR theater = ?::text)";
    return database.query(c -> {
      Map<String, Long> byStatus = new LinkedHashMap<>();
      for (AllocationStatus s : AllocationStatus.values()) {
        byStatus.put(s.name(), 0L);
      }
      long total = 0;
      try (ResultSet rs = Sql.select(c, "SELECT status, count(*)" + where + " GROUP BY status",
          minMhz, maxMhz, theater, theater)) {
        while (rs.next()) {
          byStatus.merge(rs.getString(1), rs.getLong(2), Long::sum);
          total += rs.getLong(2);
        }
      }
      List<AllocationRow> rows = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT allocation_id, theater, asset_rid, frequency_mhz, bandwidth_khz, power_dbm,"
          + " priority, purpose, status, start_time, end_time, decided_at, ended_at" + where
          + " ORDER BY frequency_mhz, allocation_id LIMIT ?", minMhz, maxMhz, theater, theater, limit)) {
        while (rs.next()) {
          rows.add(new AllocationRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getDouble(4),
              rs.getDouble(5), rs.getDouble(6), rs.getString(7), rs.getString(8), rs.getString(9), Sql.instant(rs, 10),
              Sql.instant(rs, 11), Sql.instant(rs, 12), Sql.instant(rs, 13)));
        }
      }
      return new FrequencyUsage(minMhz, maxMhz, theater, total, byStatus, rows, total > rows.size());
    });
  }

  private static String filter(String timeColumn) {
    return " WHERE (?::timestamptz IS NULL OR " + timeColumn + " >= ?::timestamptz)"
        + " AND (?::text IS NULL OR theater = ?::text)";
  }
}
