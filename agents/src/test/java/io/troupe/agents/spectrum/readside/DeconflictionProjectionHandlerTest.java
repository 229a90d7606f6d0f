package io.troupe.agents.spectrum.readside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.agents.spectrum.AllocationRequest;
import io.troupe.agents.spectrum.Conflict;
import io.troupe.agents.spectrum.Decision;
import io.troupe.agents.spectrum.DecisionStatus;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.HeldRequest;
import io.troupe.agents.spectrum.Priority;
import io.troupe.agents.spectrum.Roe;
import io.troupe.agents.spectrum.RoeViolation;
import io.troupe.agents.spectrum.Severity;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.readside.ReadSideSession;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The deconfliction read-side handler on its own: events in, rows out, replays change nothing. */
class DeconflictionProjectionHandlerTest {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final String PID = "DeconflictionCoordinator|t1";

  private DatabaseTarget db;
  private long offset;

  @BeforeEach
  void freshDatabase() {
    db = TestDatabase.fresh();
    offset = 0;
  }

  private EventEnvelope<DeconflictionCoordinator.Event> envelope(DeconflictionCoordinator.Event event) {
    offset++;
    return EventEnvelope.create(Offset.sequence(offset), PID, offset, event, T0.toEpochMilli());
  }

  private static AllocationRequest request(String asset, double mhz, Priority priority) {
    return new AllocationRequest(asset, new Emission(mhz, 25, 30, 50, 10, 10, T0, T0.plusSeconds(3600), priority),
        "purpose of " + asset);
  }

  private static DeconflictionCoordinator.AllocationDecided decided(String decisionId, String allocationId,
      DecisionStatus status, List<Conflict> conflicts, List<RoeViolation> violations, List<String> preempted,
      AllocationRequest request) {
    return new DeconflictionCoordinator.AllocationDecided(new Decision(decisionId, "t1", allocationId, status, conflicts,
        violations, preempted, List.of(1001.0, 999.0), "because", T0), request);
  }

  /** Approved, denied by two rules, a conflict, a preempting approval, a release and an expiry. */
  private List<EventEnvelope<DeconflictionCoordinator.Event>> history() {
    return List.of(
        envelope(decided("t1-d1", "t1-1", DecisionStatus.APPROVED, List.of(), List.of(), List.of(),
            request("a", 1000, Priority.ROUTINE))),
        envelope(new DeconflictionCoordinator.RoeUpdated(Roe.NONE, T0)),
        envelope(decided("t1-d2", null, DecisionStatus.DENIED, List.of(), List.of(
            new RoeViolation(RoeViolation.RESTRICTED_BAND, Severity.HIGH, "in the band"),
            new RoeViolation(RoeViolation.POWER_LIMIT, Severity.LOW, "too loud")), List.of(),
            request("b", 2450, Priority.ROUTINE))),
        envelope(decided("t1-d3", null, DecisionStatus.CONFLICT,
            List.of(new Conflict("t1-1", "a", Priority.ROUTINE, 81.5)), List.of(), List.of(),
            request("c", 1000, Priority.ROUTINE))),
        envelope(decided("t1-d4", "t1-2", DecisionStatus.APPROVED, List.of(), List.of(), List.of("t1-1"),
            request("d", 1000, Priority.FLASH))),
        envelope(decided("t1-d5", "t1-3", DecisionStatus.APPROVED, List.of(), List.of(), List.of(),
            request("e", 3000, Priority.ROUTINE))),
        envelope(new DeconflictionCoordinator.AllocationReleased("t1-2", T0.plusSeconds(60))),
        envelope(new DeconflictionCoordinator.AllocationExpired("t1-3", T0.plusSeconds(3600))),
        envelope(new DeconflictionCoordinator.AllocationReleased("t1-3", T0.plusSeconds(4000))));
  }

  private void process(List<EventEnvelope<DeconflictionCoordinator.Event>> envelopes) throws Exception {
    ReadSideSession session = new ReadSideSession(DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()));
    try {
      new DeconflictionProjectionHandler().process(session, envelopes);
      session.commit();
    } finally {
      session.close();
    }
  }

  @Test
  void decisionsAllocationsAndViolationsAreRecorded() throws Exception {
    process(history());
    assertEquals(List.of(
        "t1-d1 APPROVED t1-1 0 {} 0 {}",
        "t1-d2 DENIED null 0 {} 2 {}",
        "t1-d3 CONFLICT null 1 {t1-1} 0 {}",
        "t1-d4 APPROVED t1-2 0 {} 0 {t1-1}",
        "t1-d5 APPROVED t1-3 0 {} 0 {}"),
        rows("SELECT decision_id, status, allocation_id, conflict_count, conflicting_ids, violation_count, preempted_ids"
            + " FROM deconfliction_decision ORDER BY decision_id"));
    assertEquals(List.of("t1-1 PREEMPTED ROUTINE a", "t1-2 RELEASED FLASH d", "t1-3 EXPIRED ROUTINE e"),
        rows("SELECT allocation_id, status, priority, asset_rid FROM frequency_allocation ORDER BY allocation_id"));
    assertEquals(List.of("t1-d2 0 RESTRICTED_BAND HIGH b", "t1-d2 1 POWER_LIMIT LOW b"),
        rows("SELECT decision_id, violation_index, violation_type, severity, asset_rid FROM roe_violation"
            + " ORDER BY violation_index"));

    List<String> detail = rows("SELECT frequency_mhz, bandwidth_khz, power_dbm, latitude, longitude, antenna_height_m,"
        + " purpose, decided_by, ended_at = '2026-11-22T10:01:00Z' FROM frequency_allocation WHERE allocation_id = 't1-2'");
    assertEquals(List.of("1000 25 30 50 10 10 purpose of d " + PID + " t"), detail);
    List<String> decision = rows("SELECT reasoning, alternatives, violations->1->>'description', decided_by"
        + " FROM deconfliction_decision WHERE decision_id = 't1-d2'");
    assertEquals("because {1001,999} too loud " + PID, decision.get(0));
  }

  @Test
  void replayingTheSameEventsLeavesTheSameRows() throws Exception {
    List<EventEnvelope<DeconflictionCoordinator.Event>> events = history();
    process(events);
    List<String> before = snapshot();
    process(events);
    process(events.subList(0, 5)); // a replay of the approvals after the releases: ended stays ended
    assertEquals(before, snapshot());
    assertTrue(before.size() > 5);
  }

  @Test
  void anEndedAllocationKeepsItsFirstEnding() throws Exception {
    process(history());
    assertEquals(List.of("EXPIRED t"), rows("SELECT status, ended_at = '2026-11-22T11:00:00Z' FROM frequency_allocation"
        + " WHERE allocation_id = 't1-3'"));
    assertNull(rows("SELECT ended_at FROM frequency_allocation WHERE status = 'APPROVED'").stream().findFirst()
        .orElse(null), "no allocation remains active");
  }

  /**
   * Held for approval (issue 14, point 8): t1-d2 held to preempt t1-1, held again with more, then
   * approved; t1-d3 held and rejected. Each held row is PENDING_APPROVAL until its review.
   */
  private List<EventEnvelope<DeconflictionCoordinator.Event>> holds() {
    AllocationRequest flash = request("f", 1000, Priority.FLASH);
    Conflict withA = new Conflict("t1-1", "a", Priority.ROUTINE, 81.5);
    Conflict withB = new Conflict("t1-9", "b", Priority.ROUTINE, 20.0);
    Instant later = T0.plusSeconds(600);
    Instant expires = T0.plusSeconds(3600);
    var review = new HeldRequest.Review(HeldRequest.Verdict.APPROVED, "u-admin", "go", later);
    return List.of(
        envelope(decided("t1-d1", "t1-1", DecisionStatus.APPROVED, List.of(), List.of(), List.of(),
            request("a", 1000, Priority.ROUTINE))),
        envelope(new DeconflictionCoordinator.RequestHeld(new Decision("t1-d2", "t1", null,
            DecisionStatus.PENDING_APPROVAL, List.of(withA), List.of(), List.of(), List.of(1001.0), "held", T0,
            List.of("t1-1")), flash, expires)),
        envelope(new DeconflictionCoordinator.HeldRequestReviewed(new Decision("t1-d2", "t1", null,
            DecisionStatus.PENDING_APPROVAL, List.of(withA, withB), List.of(), List.of(), List.of(1002.0), "held again",
            later, List.of("t1-1", "t1-9")), flash, review)),
        envelope(new DeconflictionCoordinator.HeldRequestReviewed(new Decision("t1-d2", "t1", "t1-2",
            DecisionStatus.APPROVED, List.of(withA, withB), List.of(), List.of("t1-1"), List.of(), "approved", later),
            flash, review)),
        envelope(new DeconflictionCoordinator.RequestHeld(new Decision("t1-d3", "t1", null,
            DecisionStatus.PENDING_APPROVAL, List.of(withA), List.of(), List.of(), List.of(), "held", T0,
            List.of("t1-2")), request("g", 1000, Priority.FLASH), expires)),
        envelope(new DeconflictionCoordinator.HeldRequestReviewed(new Decision("t1-d3", "t1", null,
            DecisionStatus.REJECTED, List.of(withA), List.of(), List.of(), List.of(), "rejected", later),
            request("g", 1000, Priority.FLASH), new HeldRequest.Review(HeldRequest.Verdict.REJECTED, "u-admin", "no", later))));
  }

  @Test
  void heldRequestsArePendingUntilReviewedAndTakeTheirOutcomeOnce() throws Exception {
    List<EventEnvelope<DeconflictionCoordinator.Event>> events = holds();
    process(events.subList(0, 2));
    assertEquals(List.of("t1-d2 PENDING_APPROVAL null {} {t1-1} t t t null"), rows("SELECT decision_id, status,"
        + " allocation_id, preempted_ids, would_preempt_ids, held_at = '2026-11-22T10:00:00Z',"
        + " hold_expires_at = '2026-11-22T11:00:00Z', reviewed_by IS NULL, review_verdict FROM deconfliction_decision"
        + " WHERE decision_id = 't1-d2'"));
    process(events.subList(2, 3));
    assertEquals(List.of("PENDING_APPROVAL {t1-1,t1-9} {t1-1,t1-9} null"), rows("SELECT status, would_preempt_ids,"
        + " conflicting_ids, reviewed_by FROM deconfliction_decision WHERE decision_id = 't1-d2'"));

    process(events);
    assertEquals(List.of(
        "t1-d1 APPROVED t1-1 {} {} null null null",
        "t1-d2 APPROVED t1-2 {t1-1} {} APPROVED u-admin go",
        "t1-d3 REJECTED null {} {} REJECTED u-admin no"),
        rows("SELECT decision_id, status, allocation_id, preempted_ids, would_preempt_ids, review_verdict, reviewed_by,"
            + " review_comment FROM deconfliction_decision ORDER BY decision_id"));
    assertEquals(List.of("t1-1 PREEMPTED", "t1-2 APPROVED"),
        rows("SELECT allocation_id, status FROM frequency_allocation ORDER BY allocation_id"));
    assertEquals(List.of("t t"), rows("SELECT held_at = '2026-11-22T10:00:00Z', decided_at = '2026-11-22T10:10:00Z'"
        + " FROM deconfliction_decision WHERE decision_id = 't1-d2'"));

    List<String> before = snapshot();
    process(events); // a replay: the held rows keep their outcome
    process(events.subList(1, 3));
    assertEquals(before, snapshot());
  }

  private List<String> snapshot() throws Exception {
    List<String> all = new ArrayList<>();
    all.addAll(rows("SELECT * FROM deconfliction_decision ORDER BY decision_id"));
    all.addAll(rows("SELECT * FROM frequency_allocation ORDER BY allocation_id"));
    all.addAll(rows("SELECT * FROM roe_violation ORDER BY decision_id, violation_index"));
    return all;
  }

  /** Each row as its columns' text, space-separated (PostgreSQL's own rendering). */
  private List<String> rows(String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          values.add(rs.getString(i));
        }
        out.add(String.join(" ", values));
      }
    }
    return out;
  }
}
