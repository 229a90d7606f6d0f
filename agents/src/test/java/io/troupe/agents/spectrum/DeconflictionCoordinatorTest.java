package io.troupe.agents.spectrum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.MovableClock;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

/** The coordinator entity on a real node and PostgreSQL journal: recovery, expiry, serialization. */
@TroupeNodeTest
class DeconflictionCoordinatorTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final DeconflictionCoordinator.Settings SETTINGS =
      new DeconflictionCoordinator.Settings(ModelConstants.DEFAULT, 500, 10_000);
  /** The node's clock: allocations expire when it is moved past their end, not after a wait. */
  @FromNode private static MovableClock CLOCK;
  @FromNode private static NodeFixture fixture;

  private static ActorRef<DeconflictionCoordinator.Command> coordinator(String theater) {
    return fixture.testKit.spawn(DeconflictionCoordinator.create(theater, SETTINGS));
  }

  private static Emission emission(double mhz, Instant start, Instant end) {
    return new Emission(mhz, 25, 30, 50, 10, 10, start, end, Priority.ROUTINE);
  }

  private static Allocation lookup(ActorRef<DeconflictionCoordinator.Command> c, String id) {
    TestProbe<DeconflictionCoordinator.AllocationLookup> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.GetAllocation(id, probe.getRef()));
    return probe.receiveMessage(TIMEOUT).allocation();
  }

  private static int active(ActorRef<DeconflictionCoordinator.Command> c) {
    TestProbe<DeconflictionCoordinator.AllocationList> probe = fixture.testKit.createTestProbe();
    int total = 0;
    for (double from = 0.5; from < 10_000; from += 100) {
      c.tell(new DeconflictionCoordinator.ListAllocations(AllocationStatus.APPROVED, from, from + 99.9, 1000, probe.getRef()));
      DeconflictionCoordinator.AllocationList page = probe.receiveMessage(TIMEOUT);
      assertTrue(!page.truncated(), "each 100 MHz slice holds at most 100 here");
      total += page.allocations().size();
    }
    return total;
  }

  @Test
  void recoversThousandsOfAllocationsFromSnapshotAndEvents() throws Exception {
    int count = 2_500;
    ActorRef<DeconflictionCoordinator.Command> c = coordinator("recovery");
    TestProbe<StatusReply<Decision>> probe = fixture.testKit.createTestProbe();
    Instant start = Instant.now();
    Instant end = start.plus(Duration.ofDays(1));
    // 1 MHz apart with 25 kHz bandwidth: never candidates of each other, so every one is approved.
    for (int i = 0; i < count; i++) {
      c.tell(new DeconflictionCoordinator.RequestAllocation(
          new AllocationRequest("asset-" + i, emission(100 + i, start, end), null), probe.getRef()));
    }
    for (int i = 0; i < count; i++) {
      assertEquals(DecisionStatus.APPROVED, probe.receiveMessage(TIMEOUT).getValue().status());
    }
    fixture.testKit.stop(c, TIMEOUT);
    assertTrue(snapshots("DeconflictionCoordinator|recovery") > 0, "snapshots every 500 events");

    long before = System.nanoTime();
    ActorRef<DeconflictionCoordinator.Command> recovered = coordinator("recovery");
    assertEquals(count, active(recovered));
    long recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
    System.out.println("Recovered " + count + " allocations in " + recoveryMillis + " ms");
    Allocation last = lookup(recovered, "recovery-" + count);
    assertNotNull(last);
    assertEquals("asset-" + (count - 1), last.assetRid());

    // The recovered index decides as the original would: the same channel now conflicts.
    recovered.tell(new DeconflictionCoordinator.RequestAllocation(
        new AllocationRequest("late", emission(100, start, end), null), probe.getRef()));
    Decision decision = probe.receiveMessage(TIMEOUT).getValue();
    assertEquals(DecisionStatus.CONFLICT, decision.status());
    assertEquals(List.of("recovery-1"), decision.conflicts().stream().map(Conflict::allocationId).toList());
  }

  @Test
  void anAllocationExpiresAtItsEndAlsoWhenItEndedWhileTheCoordinatorWasDown() throws Exception {
    ActorRef<DeconflictionCoordinator.Command> c = coordinator("expiry");
    TestProbe<StatusReply<Decision>> probe = fixture.testKit.createTestProbe();
    Instant now = CLOCK.instant();
    c.tell(new DeconflictionCoordinator.RequestAllocation(
        new AllocationRequest("short", emission(200, now, now.plusSeconds(60)), null), probe.getRef()));
    c.tell(new DeconflictionCoordinator.RequestAllocation(
        new AllocationRequest("while-down", emission(300, now, now.plusSeconds(120)), null), probe.getRef()));
    assertEquals("expiry-1", probe.receiveMessage(TIMEOUT).getValue().allocationId());
    assertEquals("expiry-2", probe.receiveMessage(TIMEOUT).getValue().allocationId());

    // Past the first end by the node's clock; the wake-up the expiry timer would send later.
    CLOCK.advance(Duration.ofSeconds(61));
    c.tell(new DeconflictionCoordinator.ExpireDue());
    fixture.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(15), Duration.ofMillis(200), () -> {
      assertEquals(AllocationStatus.EXPIRED, lookup(c, "expiry-1").status());
      return null;
    });
    assertEquals(AllocationStatus.APPROVED, lookup(c, "expiry-2").status());
    fixture.testKit.stop(c, TIMEOUT);
    CLOCK.advance(Duration.ofSeconds(60));
    assertTrue(CLOCK.instant().isAfter(now.plusSeconds(121)), "the second one ended while its coordinator was down");
    ActorRef<DeconflictionCoordinator.Command> restarted = coordinator("expiry");
    fixture.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(200), () -> {
      assertEquals(AllocationStatus.EXPIRED, lookup(restarted, "expiry-2").status());
      return null;
    });
  }

  @Test
  void everyCoordinatorMessageEventAndSnapshotRoundTrips() {
    SerializationTestKit serialization = new SerializationTestKit(fixture.node.system());
    TestProbe<Object> probe = fixture.testKit.createTestProbe();
    Instant at = Instant.parse("2026-11-22T10:00:00Z");
    Emission e = new Emission(300, 25, 30, 50, 10, 10, at, at.plusSeconds(60), Priority.FLASH);
    AllocationRequest request = new AllocationRequest("a", e, "p");
    Roe roe = new Roe(List.of(new Roe.RestrictedBand(1, 2, Severity.HIGH, "r")),
        List.of(new Roe.RestrictedZone(1, 2, 3, Severity.LOW, "z")), List.of(new Roe.PowerLimit(1, 2, 3, Severity.CRITICAL)));
    Decision decision = new Decision("t-d1", "t", "t-1", DecisionStatus.APPROVED,
        List.of(new Conflict("t-0", "b", Priority.ROUTINE, 12.5)), List.of(new RoeViolation("POWER_LIMIT", Severity.LOW, "d")),
        List.of("t-0"), List.of(299.975), "because", at);
    Allocation allocation = new Allocation("t-1", "t", "a", e, null, AllocationStatus.APPROVED, "t-d1", at, null);
    Decision held = new Decision("t-d2", "t", null, DecisionStatus.PENDING_APPROVAL,
        List.of(new Conflict("t-0", "b", Priority.ROUTINE, 12.5)), List.of(), List.of(), List.of(299.975), "held", at,
        List.of("t-0"));
    HeldRequest.Review review = new HeldRequest.Review(HeldRequest.Verdict.APPROVED, "admin", "ok", at);
    List<Object> messages = List.of(
        new DeconflictionCoordinator.RequestAllocation(request, probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.Release("t-1", probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.UpdateRoe(roe, probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.GetRoe(probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.GetAllocation("t-1", probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.ListAllocations(null, 0, 10, 5, probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.ReleaseResult(DeconflictionCoordinator.ReleaseResult.Outcome.RELEASED, allocation),
        new DeconflictionCoordinator.AllocationLookup(null),
        new DeconflictionCoordinator.AllocationList(List.of(allocation), false),
        new DeconflictionCoordinator.AllocationDecided(decision, request),
        new DeconflictionCoordinator.AllocationReleased("t-1", at),
        new DeconflictionCoordinator.AllocationExpired("t-1", at),
        new DeconflictionCoordinator.RoeUpdated(roe, at),
        new CoordinatorState.Snapshot(roe, List.of(allocation), 3, 1,
            List.of(new CoordinatorState.KeyedDecision("tool:s/call_1_1", decision)),
            List.of(new HeldRequest(held, request, at, at.plusSeconds(60), null),
                new HeldRequest(decision, request, at, at.plusSeconds(60), review))),
        new CoordinatorState.Snapshot(roe, List.of(allocation), 3, 1, null, null),
        new DeconflictionCoordinator.RequestHeld(held, request, at.plusSeconds(60)),
        new DeconflictionCoordinator.HeldRequestReviewed(decision, request, review),
        new DeconflictionCoordinator.ReviewHeldRequest("t-d2", true, "admin", "ok", probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.ReviewResult(DeconflictionCoordinator.ReviewResult.Outcome.REVIEWED,
            new HeldRequest(decision, request, at, at.plusSeconds(60), review)),
        new DeconflictionCoordinator.GetHeldRequest("t-d2", probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.HeldRequestLookup(null),
        new DeconflictionCoordinator.ListHeldRequests(probe.getRef().unsafeUpcast()),
        new DeconflictionCoordinator.HeldRequestList(List.of(new HeldRequest(held, request, at, at.plusSeconds(60), null))),
        new AllocationRequest("a", e, "p", "http:key-1"),
        roe, decision);
    for (Object m : messages) {
      serialization.verifySerialization(m, true);
    }
  }

  @Test
  void aRetriedKeyedRequestGetsTheFirstDecisionAlsoAfterRestart() {
    ActorRef<DeconflictionCoordinator.Command> c = coordinator("keyed");
    TestProbe<StatusReply<Decision>> probe = fixture.testKit.createTestProbe();
    Instant now = Instant.now();
    AllocationRequest request = new AllocationRequest("radio", emission(400, now, now.plusSeconds(3600)), null, "tool:s1/call_1_1");
    c.tell(new DeconflictionCoordinator.RequestAllocation(request, probe.getRef()));
    Decision first = probe.receiveMessage(TIMEOUT).getValue();
    assertEquals("keyed-1", first.allocationId());
    c.tell(new DeconflictionCoordinator.RequestAllocation(request, probe.getRef()));
    assertEquals(first, probe.receiveMessage(TIMEOUT).getValue(), "the same decision, not a conflict with itself");
    fixture.testKit.stop(c, TIMEOUT);
    ActorRef<DeconflictionCoordinator.Command> again = coordinator("keyed");
    again.tell(new DeconflictionCoordinator.RequestAllocation(request, probe.getRef()));
    assertEquals(first, probe.receiveMessage(TIMEOUT).getValue());
    assertEquals(1, active(again), "one allocation, whatever the retries");
  }

  @Test
  void allocationIdsNameTheirTheater() {
    assertEquals("default", DeconflictionCoordinator.theaterOf("default-12"));
    assertEquals("north-sea", DeconflictionCoordinator.theaterOf("north-sea-3"));
    assertEquals("", DeconflictionCoordinator.theaterOf("default-d3"));
    assertEquals("", DeconflictionCoordinator.theaterOf("nodash"));
    assertEquals("", DeconflictionCoordinator.theaterOf("trailing-"));
    assertEquals("", DeconflictionCoordinator.theaterOf("a b-1"), "not a valid theater name");
  }

  private static long snapshots(String persistenceId) throws Exception {
    return fixture.node.database().query(conn -> {
      try (PreparedStatement s = conn.prepareStatement("SELECT count(*) FROM snapshot WHERE persistence_id = ?")) {
        s.setString(1, persistenceId);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
