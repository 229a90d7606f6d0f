package io.troupe.agents.spectrum.readside;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.agents.spectrum.AllocationRequest;
import io.troupe.agents.spectrum.AllocationStatus;
import io.troupe.agents.spectrum.Conflict;
import io.troupe.agents.spectrum.Decision;
import io.troupe.agents.spectrum.DecisionStatus;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.RoeViolation;
import io.troupe.runtime.readside.ReadSideSession;
import io.troupe.runtime.readside.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Writes the coordinators' events into the deconfliction read side. Every write is idempotent:
 * decisions, allocations and violations are inserted once (ON CONFLICT DO NOTHING), an allocation
 * only leaves APPROVED once, and a held request's row (PENDING_APPROVAL) changes only while it is
 * still PENDING_APPROVAL, so a group delivered again leaves the same rows. {@code decided_by} is the
 * deciding coordinator's persistence id; who reviewed a held request is {@code reviewed_by}.
 */
public final class DeconflictionProjectionHandler
    extends JdbcHandler<List<EventEnvelope<DeconflictionCoordinator.Event>>, ReadSideSession> {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String INSERT_DECISION = "INSERT INTO deconfliction_decision (decision_id, theater,"
      + " allocation_id, asset_rid, frequency_mhz, bandwidth_khz, power_dbm, latitude, longitude, start_time, end_time,"
      + " priority, purpose, status, decided_by, decided_at, conflict_count, conflicting_ids, preempted_ids,"
      + " violation_count, violations, reasoning, alternatives, would_preempt_ids, held_at, hold_expires_at)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?)"
      + " ON CONFLICT (decision_id) DO NOTHING";
  private static final String INSERT_VIOLATION = "INSERT INTO roe_violation (decision_id, violation_index, theater,"
      + " asset_rid, violation_type, severity, description, frequency_mhz, occurred_at)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id, violation_index) DO NOTHING";
  private static final String INSERT_ALLOCATION = "INSERT INTO frequency_allocation (allocation_id, theater,"
      + " decision_id, asset_rid, frequency_mhz, bandwidth_khz, power_dbm, latitude, longitude, antenna_height_m,"
      + " start_time, end_time, priority, purpose, status, decided_by, decided_at)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'APPROVED', ?, ?) ON CONFLICT (allocation_id) DO NOTHING";
  private static final String REVIEW_DECISION = "UPDATE deconfliction_decision SET status = ?, allocation_id = ?,"
      + " decided_at = ?, conflict_count = ?, conflicting_ids = ?, preempted_ids = ?, would_preempt_ids = ?,"
      + " violation_count = ?, violations = ?::jsonb, reasoning = ?, alternatives = ?, review_verdict = ?,"
      + " reviewed_by = ?, review_comment = ?, reviewed_at = ? WHERE decision_id = ? AND status = 'PENDING_APPROVAL'";
  private static final String END_ALLOCATIONS = "UPDATE frequency_allocation SET status = ?, ended_at = ?"
      + " WHERE allocation_id = ANY(?) AND status = 'APPROVED'";

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<DeconflictionCoordinator.Event>> envelopes)
      throws Exception {
    session.withConnection(c -> {
      for (EventEnvelope<DeconflictionCoordinator.Event> envelope : envelopes) {
        apply(c, envelope.persistenceId(), envelope.event());
      }
      return null;
    });
  }

  private static void apply(Connection c, String decidedBy, DeconflictionCoordinator.Event event) throws SQLException {
    if (event instanceof DeconflictionCoordinator.AllocationDecided d) {
      decided(c, decidedBy, d.decision(), d.request(), null);
    } else if (event instanceof DeconflictionCoordinator.RequestHeld h) {
      decided(c, decidedBy, h.decision(), h.request(), h.expiresAt());
    } else if (event instanceof DeconflictionCoordinator.HeldRequestReviewed r) {
      reviewed(c, decidedBy, r);
    } else if (event instanceof DeconflictionCoordinator.AllocationReleased r) {
      end(c, List.of(r.allocationId()), AllocationStatus.RELEASED, r.releasedAt());
    } else if (event instanceof DeconflictionCoordinator.AllocationExpired x) {
      end(c, List.of(x.allocationId()), AllocationStatus.EXPIRED, x.expiredAt());
    }
    // RoeUpdated: the rules themselves are not part of the read side.
  }

  /** A decision's row; {@code holdExpiresAt} is set for a request held for approval, else null. */
  private static void decided(Connection c, String decidedBy, Decision d, AllocationRequest r, Instant holdExpiresAt)
      throws SQLException {
    Emission e = r.emission();
    try (PreparedStatement ps = c.prepareStatement(INSERT_DECISION)) {
      bind(ps, d.decisionId(), d.theater(), d.allocationId(), r.assetRid(), e.frequencyMhz(), e.bandwidthKhz(),
          e.powerDbm(), e.latitude(), e.longitude(), time(e.start()), time(e.end()), e.priority().name(), r.purpose(),
          d.status().name(), decidedBy, time(d.decidedAt()), d.conflicts().size(),
          c.createArrayOf("text", d.conflicts().stream().map(Conflict::allocationId).toArray()),
          c.createArrayOf("text", d.preempted().toArray()), d.roeViolations().size(), json(d.roeViolations()),
          d.reasoning(), c.createArrayOf("float8", d.alternatives().toArray()),
          c.createArrayOf("text", d.wouldPreempt().toArray()), holdExpiresAt == null ? null : time(d.decidedAt()),
          time(holdExpiresAt));
      ps.executeUpdate();
    }
    violations(c, d, r);
    if (d.status() == DecisionStatus.APPROVED) {
      allocate(c, decidedBy, d, r);
    }
  }

  /**
   * A held request's row takes its outcome once (the update matches only while it is pending); an
   * approval that was held again (PENDING_APPROVAL) updates its lists and leaves it pending.
   */
  private static void reviewed(Connection c, String decidedBy, DeconflictionCoordinator.HeldRequestReviewed event)
      throws SQLException {
    Decision d = event.decision();
    boolean stillHeld = d.status() == DecisionStatus.PENDING_APPROVAL;
    var review = event.review();
    int changed;
    try (PreparedStatement ps = c.prepareStatement(REVIEW_DECISION)) {
      bind(ps, d.status().name(), d.allocationId(), time(d.decidedAt()), d.conflicts().size(),
          c.createArrayOf("text", d.conflicts().stream().map(Conflict::allocationId).toArray()),
          c.createArrayOf("text", d.preempted().toArray()), c.createArrayOf("text", d.wouldPreempt().toArray()),
          d.roeViolations().size(), json(d.roeViolations()), d.reasoning(), c.createArrayOf("float8", d.alternatives().toArray()),
          stillHeld ? null : review.verdict().name(), stillHeld ? null : review.reviewedBy(),
          stillHeld ? null : review.comment(), stillHeld ? null : time(review.reviewedAt()), d.decisionId());
      changed = ps.executeUpdate();
    }
    if (changed == 0 || stillHeld) {
      return; // reviewed before: this is a replay
    }
    violations(c, d, event.request());
    if (d.status() == DecisionStatus.APPROVED) {
      allocate(c, decidedBy, d, event.request());
    }
  }

  private static void violations(Connection c, Decision d, AllocationRequest r) throws SQLException {
    if (d.roeViolations().isEmpty()) {
      return;
    }
    Emission e = r.emission();
    try (PreparedStatement ps = c.prepareStatement(INSERT_VIOLATION)) {
      for (int i = 0; i < d.roeViolations().size(); i++) {
        RoeViolation v = d.roeViolations().get(i);
        bind(ps, d.decisionId(), i, d.theater(), r.assetRid(), v.violationType(), v.severity().name(),
            v.description(), e.frequencyMhz(), time(d.decidedAt()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void allocate(Connection c, String decidedBy, Decision d, AllocationRequest r) throws SQLException {
    Emission e = r.emission();
    if (!d.preempted().isEmpty()) {
      end(c, d.preempted(), AllocationStatus.PREEMPTED, d.decidedAt());
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_ALLOCATION)) {
      bind(ps, d.allocationId(), d.theater(), d.decisionId(), r.assetRid(), e.frequencyMhz(), e.bandwidthKhz(),
          e.powerDbm(), e.latitude(), e.longitude(), e.antennaHeightM(), time(e.start()), time(e.end()),
          e.priority().name(), r.purpose(), decidedBy, time(d.decidedAt()));
      ps.executeUpdate();
    }
  }

  /** Ends allocations that are still APPROVED; one that ended already keeps its first ending. */
  private static void end(Connection c, List<String> allocationIds, AllocationStatus status, Instant at)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(END_ALLOCATIONS)) {
      bind(ps, status.name(), time(at), c.createArrayOf("text", allocationIds.toArray()));
      ps.executeUpdate();
    }
  }

  private static String json(List<RoeViolation> violations) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (RoeViolation v : violations) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("violationType", v.violationType());
      m.put("severity", v.severity().name());
      m.put("description", v.description());
      out.add(m);
    }
    try {
      return JSON.writeValueAsString(out);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("cannot write violations as JSON", ex);
    }
  }

  private static void bind(PreparedStatement ps, Object... values) throws SQLException {
    io.troupe.runtime.readside.Sql.bind(ps, values);
  }

  private static OffsetDateTime time(Instant instant) {
    return io.troupe.runtime.readside.Sql.time(instant);
  }
}
