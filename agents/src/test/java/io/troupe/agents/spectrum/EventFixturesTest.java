package io.troupe.agents.spectrum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.evolution.EventFixtures;
import io.troupe.runtime.evolution.PersistedTypes;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Coordinator journals written by earlier versions stay readable: every event of
 * {@link DeconflictionCoordinator} and its snapshot have stored bytes under
 * {@code src/test/resources/event-fixtures/v1/}, and each must read back, field by field, as
 * {@link #expected()} says. See EVOLUTION.md.
 *
 * <p>Write missing fixtures (never existing ones) with
 * {@code mvn -B -q -pl agents -am test -Dtest=EventFixturesTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dtroupe.fixtures.write=true [-Dtroupe.fixtures.version=v2]}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventFixturesTest {

  private static EventFixtures fixtures;

  @BeforeAll
  static void open() {
    fixtures = EventFixtures.open(EventFixturesTest.class, "event-fixtures");
  }

  @AfterAll
  static void close() {
    fixtures.close();
  }

  /**
   * What each stored fixture must read as with today's code, per version. These values were the
   * samples the fixtures were written from. When a record gains a field, the compiler points here:
   * pass the value old journals must read as (null or the default), never the new sample's value.
   */
  static Map<String, Map<String, Object>> expected() {
    return Map.of("v1", v1(), "v2", v2(), "v3", v3());
  }

  private static final Instant AT = Instant.parse("2026-11-22T10:15:30.123Z");
  private static final Instant START = Instant.parse("2026-11-22T10:20:00Z");
  private static final Instant END = Instant.parse("2026-11-22T12:20:00Z");

  private static Map<String, Object> v1() {
    Emission emission = new Emission(243.025, 25.0, 30.5, 52.31, 4.9, 12.5, START, END, Priority.IMMEDIATE);
    AllocationRequest request = new AllocationRequest("radio-2", emission, "convoy net", "req-77");
    Decision conflict = new Decision("north-d-8", "north", null, DecisionStatus.CONFLICT,
        List.of(new Conflict("north-1", "radio-1", Priority.ROUTINE, 18.25)),
        List.of(new RoeViolation(RoeViolation.POWER_LIMIT, Severity.MEDIUM, "30.5 dBm over the 27 dBm limit")),
        List.of(), List.of(243.05, 243.075, 242.975), "co-channel with north-1 at 1.1 km", AT);
    Decision approved = new Decision("north-d-9", "north", "north-3", DecisionStatus.APPROVED, List.of(), List.of(),
        List.of("north-1", "north-2"), List.of(), "preempts two ROUTINE allocations", AT);
    Roe roe = new Roe(
        List.of(new Roe.RestrictedBand(1559.0, 1610.0, Severity.CRITICAL, "GNSS protection")),
        List.of(new Roe.RestrictedZone(52.0, 4.5, 5.5, Severity.HIGH, "airfield")),
        List.of(new Roe.PowerLimit(400.0, 470.0, 27.0, Severity.MEDIUM)));
    Allocation active = new Allocation("north-3", "north", "radio-3", emission, "convoy net", AllocationStatus.APPROVED,
        "north-d-9", AT, null);
    Allocation preempted = new Allocation("north-1", "north", "radio-1", emission.at(243.0), "patrol",
        AllocationStatus.PREEMPTED, "north-d-1", START, AT);
    return EventFixtures.samples(
        new DeconflictionCoordinator.AllocationDecided(conflict, request),
        new DeconflictionCoordinator.AllocationReleased("north-3", AT),
        new DeconflictionCoordinator.AllocationExpired("north-4", END),
        new DeconflictionCoordinator.RoeUpdated(roe, AT),
        new CoordinatorState.Snapshot(roe, List.of(active, preempted), 9, 3,
            List.of(new CoordinatorState.KeyedDecision("req-77", conflict),
                new CoordinatorState.KeyedDecision("req-78", approved)), null));
  }

  /** Allocations record their requester (issue 13, point 7); keys are scoped to them. */
  private static Map<String, Object> v2() {
    Emission emission = new Emission(243.025, 25.0, 30.5, 52.31, 4.9, 12.5, START, END, Priority.FLASH);
    AllocationRequest request = new AllocationRequest("radio-2", emission, "convoy net", "http:req-77", "u-alice");
    Decision approved = new Decision("north-d-9", "north", "north-3", DecisionStatus.APPROVED, List.of(), List.of(),
        List.of("north-1"), List.of(), "preempts a ROUTINE allocation", AT);
    Roe roe = new Roe(
        List.of(new Roe.RestrictedBand(1559.0, 1610.0, Severity.CRITICAL, "GNSS protection")),
        List.of(new Roe.RestrictedZone(52.0, 4.5, 5.5, Severity.HIGH, "airfield")),
        List.of(new Roe.PowerLimit(400.0, 470.0, 27.0, Severity.MEDIUM)));
    Allocation active = new Allocation("north-3", "north", "radio-2", emission, "convoy net", AllocationStatus.APPROVED,
        "north-d-9", AT, null, "u-alice");
    Allocation preempted = new Allocation("north-1", "north", "radio-1", emission.at(243.0), "patrol",
        AllocationStatus.PREEMPTED, "north-d-1", START, AT, "u-bob");
    return EventFixtures.samples(
        new DeconflictionCoordinator.AllocationDecided(approved, request),
        new CoordinatorState.Snapshot(roe, List.of(active, preempted), 9, 3,
            List.of(new CoordinatorState.KeyedDecision("u-alice\nhttp:req-77", approved)), null));
  }

  /**
   * Requests held for approval (issue 14, point 8): the ROE's flag, decisions with what they would
   * preempt, the held and reviewed events, and snapshots holding pending and reviewed requests.
   */
  private static Map<String, Object> v3() {
    Emission emission = new Emission(243.025, 25.0, 30.5, 52.31, 4.9, 12.5, START, END, Priority.FLASH);
    AllocationRequest request = new AllocationRequest("radio-2", emission, "convoy net", "http:req-79", "u-carol");
    Roe roe = new Roe(
        List.of(new Roe.RestrictedBand(1559.0, 1610.0, Severity.CRITICAL, "GNSS protection")),
        List.of(new Roe.RestrictedZone(52.0, 4.5, 5.5, Severity.HIGH, "airfield")),
        List.of(new Roe.PowerLimit(400.0, 470.0, 27.0, Severity.MEDIUM)), true);
    List<Conflict> conflicts = List.of(new Conflict("north-1", "radio-1", Priority.ROUTINE, 81.58),
        new Conflict("north-2", "radio-4", Priority.PRIORITY, 12.5));
    Decision held = new Decision("north-d-10", "north", null, DecisionStatus.PENDING_APPROVAL, conflicts, List.of(),
        List.of(), List.of(243.05, 243.0), "pending approval: would preempt north-1, north-2", AT,
        List.of("north-1", "north-2"));
    Instant reviewedAt = AT.plusSeconds(600);
    Decision approved = new Decision("north-d-10", "north", "north-4", DecisionStatus.APPROVED, conflicts.subList(0, 1),
        List.of(), List.of("north-1"), List.of(), "approved by u-admin: preempts north-1", reviewedAt);
    Decision rejected = new Decision("north-d-11", "north", null, DecisionStatus.REJECTED, conflicts, List.of(), List.of(),
        List.of(243.05), "rejected by u-admin: not now", reviewedAt);
    Instant expiresAt = AT.plusSeconds(86_400);
    HeldRequest.Review approval = new HeldRequest.Review(HeldRequest.Verdict.APPROVED, "u-admin", "convoy first",
        reviewedAt);
    HeldRequest.Review expiry = new HeldRequest.Review(HeldRequest.Verdict.EXPIRED, null, "Rejected (timeout)", expiresAt);
    Allocation active = new Allocation("north-4", "north", "radio-2", emission, "convoy net", AllocationStatus.APPROVED,
        "north-d-10", reviewedAt, null, "u-carol");
    Map<String, Object> v3 = EventFixtures.samples(
        new DeconflictionCoordinator.RoeUpdated(roe, AT),
        new DeconflictionCoordinator.RequestHeld(held, request, expiresAt),
        new DeconflictionCoordinator.HeldRequestReviewed(approved, request, approval),
        new CoordinatorState.Snapshot(roe, List.of(active), 11, 4,
            List.of(new CoordinatorState.KeyedDecision("u-carol\nhttp:req-79", approved)),
            List.of(new HeldRequest(approved, request, AT, expiresAt, approval),
                new HeldRequest(held, request, AT, expiresAt, null))));
    // An expiry: no reviewer.
    v3.put("DeconflictionCoordinator.HeldRequestReviewed.expired",
        new DeconflictionCoordinator.HeldRequestReviewed(rejected, request, expiry));
    return v3;
  }

  @Test
  @Order(0)
  @org.junit.jupiter.api.Tag(EventFixtures.WRITER_TAG)
  void writeMissingFixtures() throws Exception {
    String version = EventFixtures.writeVersion();
    List<String> written = fixtures.writeMissing(version, expected().get(version));
    System.out.println("event fixtures written to " + fixtures.root().resolve(version) + ": " + written);
  }

  @Test
  void everyStoredFixtureReadsAsExpectedFieldByField() throws Exception {
    fixtures.assertAllReadAsExpected(expected());
  }

  @Test
  void everyJournaledTypeHasAStoredFixture() throws Exception {
    // The coordinator snapshots through an adapter: the stored class is its Snapshot, not its state.
    Set<Class<?>> journaled = PersistedTypes.journaledBy(DeconflictionCoordinator.class,
        Map.of(DeconflictionCoordinator.class, CoordinatorState.Snapshot.class));
    assertTrue(journaled.contains(DeconflictionCoordinator.AllocationDecided.class), "discovery missed the coordinator");
    Set<String> missing = new TreeSet<>();
    Set<Class<?>> covered = fixtures.coveredTypes();
    for (Class<?> type : journaled) {
      if (!covered.contains(type)) {
        missing.add(type.getName());
      }
    }
    assertEquals(Set.of(), missing, "journaled types without a stored fixture: add a sample to expected()"
        + " and write it with -Dtroupe.fixtures.write=true (see EVOLUTION.md)");
  }
}
