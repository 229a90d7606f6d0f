package io.troupe.agents.spectrum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.MovableClock;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

/**
 * Preemption held for approval (issue 14, point 8), on the coordinator entity with a real journal:
 * under an ROE with preemptionNeedsApproval a preempting request is held (nothing changes), then
 * approved (decided again against the plan of that moment), rejected, or expired; all of it
 * survives a restart.
 */
@TroupeNodeTest
class DeconflictionCoordinatorApprovalTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Duration HOLD = Duration.ofHours(2);
  private static final DeconflictionCoordinator.Settings SETTINGS =
      new DeconflictionCoordinator.Settings(ModelConstants.DEFAULT, 500, 10_000, 2, HOLD);
  private static final Roe NEEDS_APPROVAL = new Roe(List.of(), List.of(), List.of(), true);

  @FromNode private static MovableClock CLOCK;
  @FromNode private static NodeFixture fixture;

  private static ActorRef<DeconflictionCoordinator.Command> coordinator(String theater, Roe roe) {
    ActorRef<DeconflictionCoordinator.Command> c = fixture.testKit.spawn(DeconflictionCoordinator.create(theater, SETTINGS));
    TestProbe<StatusReply<Roe>> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.UpdateRoe(roe, probe.getRef()));
    probe.receiveMessage(TIMEOUT).getValue();
    return c;
  }

  private static ActorRef<DeconflictionCoordinator.Command> restarted(ActorRef<DeconflictionCoordinator.Command> c,
                                                                        String theater) {
    fixture.testKit.stop(c, TIMEOUT);
    return fixture.testKit.spawn(DeconflictionCoordinator.create(theater, SETTINGS));
  }

  /** 25 kHz at {@code mhz}, 30 dBm, at (50, 10), for a day from the node's clock. */
  private static AllocationRequest request(String asset, double mhz, Priority priority) {
    return request(asset, mhz, 25, priority, null);
  }

  private static AllocationRequest request(String asset, double mhz, double khz, Priority priority, String key) {
    Instant now = CLOCK.instant();
    return new AllocationRequest(asset, new Emission(mhz, khz, 30, 50, 10, 10, now, now.plus(Duration.ofDays(1)), priority),
        "purpose of " + asset, key);
  }

  private static Decision decide(ActorRef<DeconflictionCoordinator.Command> c, AllocationRequest request) {
    TestProbe<StatusReply<Decision>> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.RequestAllocation(request, probe.getRef()));
    StatusReply<Decision> reply = probe.receiveMessage(TIMEOUT);
    assertTrue(reply.isSuccess(), () -> "refused: " + reply.getError().getMessage());
    return reply.getValue();
  }

  private static DeconflictionCoordinator.ReviewResult review(ActorRef<DeconflictionCoordinator.Command> c,
                                                              String decisionId, boolean approve, String comment) {
    TestProbe<DeconflictionCoordinator.ReviewResult> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.ReviewHeldRequest(decisionId, approve, "admin", comment, probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  private static HeldRequest held(ActorRef<DeconflictionCoordinator.Command> c, String decisionId) {
    TestProbe<DeconflictionCoordinator.HeldRequestLookup> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.GetHeldRequest(decisionId, probe.getRef()));
    return probe.receiveMessage(TIMEOUT).held();
  }

  private static List<HeldRequest> pending(ActorRef<DeconflictionCoordinator.Command> c) {
    TestProbe<DeconflictionCoordinator.HeldRequestList> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.ListHeldRequests(probe.getRef()));
    return probe.receiveMessage(TIMEOUT).held();
  }

  private static AllocationStatus status(ActorRef<DeconflictionCoordinator.Command> c, String allocationId) {
    TestProbe<DeconflictionCoordinator.AllocationLookup> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.GetAllocation(allocationId, probe.getRef()));
    Allocation a = probe.receiveMessage(TIMEOUT).allocation();
    return a == null ? null : a.status();
  }

  @Test
  void aPreemptingRequestIsHeldThenApprovedAndPreemptsAlsoAfterRestart() {
    String t = "hold-approve";
    var c = coordinator(t, NEEDS_APPROVAL);
    assertEquals(t + "-1", decide(c, request("routine", 243, Priority.ROUTINE)).allocationId());

    Decision held = decide(c, request("flash", 243, Priority.FLASH));
    assertEquals(DecisionStatus.PENDING_APPROVAL, held.status(), held::toString);
    assertEquals(t + "-d2", held.decisionId());
    assertNull(held.allocationId());
    assertEquals(List.of(t + "-1"), held.wouldPreempt());
    assertEquals(List.of(), held.preempted(), "nothing preempted while held");
    assertEquals(List.of(t + "-1"), held.conflicts().stream().map(Conflict::allocationId).toList());
    assertFalse(held.alternatives().isEmpty(), "free frequencies offered meanwhile: " + held);
    assertTrue(held.reasoning().contains("approval"), held.reasoning());
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-1"), "the lower-priority allocation stays while held");
    assertEquals(List.of(held.decisionId()), pending(c).stream().map(h -> h.decision().decisionId()).toList());
    HeldRequest h = pending(c).get(0);
    assertEquals(held.decidedAt(), h.heldAt());
    assertEquals(h.heldAt().plus(HOLD), h.expiresAt(), "the hold timeout comes before the window's end");

    c = restarted(c, t); // held across a restart
    assertEquals(1, pending(c).size());
    DeconflictionCoordinator.ReviewResult approved = review(c, held.decisionId(), true, "convoy first");
    assertEquals(DeconflictionCoordinator.ReviewResult.Outcome.REVIEWED, approved.outcome());
    Decision outcome = approved.held().decision();
    assertEquals(DecisionStatus.APPROVED, outcome.status(), outcome::toString);
    assertEquals(held.decisionId(), outcome.decisionId(), "one decision id from request to outcome");
    assertEquals(t + "-2", outcome.allocationId());
    assertEquals(List.of(t + "-1"), outcome.preempted());
    assertTrue(outcome.reasoning().contains("Approved by admin") && outcome.reasoning().contains("convoy first"),
        outcome.reasoning());
    assertEquals(HeldRequest.Verdict.APPROVED, approved.held().review().verdict());
    assertEquals("admin", approved.held().review().reviewedBy());
    assertEquals(AllocationStatus.PREEMPTED, status(c, t + "-1"));
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-2"));
    assertEquals(List.of(), pending(c));

    c = restarted(c, t);
    assertEquals(AllocationStatus.PREEMPTED, status(c, t + "-1"));
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-2"));
    assertEquals(approved.held(), held(c, held.decisionId()), "the reviewed request stays readable");
  }

  @Test
  void anApprovalAfterThePlanChangedAnswersTheNewDecision() {
    String t = "hold-changed";
    var c = coordinator(t, NEEDS_APPROVAL);
    decide(c, request("routine", 243, Priority.ROUTINE)); // t-1
    Decision held = decide(c, request("flash", 243, Priority.FLASH));
    assertEquals(DecisionStatus.PENDING_APPROVAL, held.status());

    // The allocation it was held for is released meanwhile: approved, preempting nothing.
    TestProbe<DeconflictionCoordinator.ReleaseResult> released = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.Release(t + "-1", released.getRef()));
    assertEquals(DeconflictionCoordinator.ReleaseResult.Outcome.RELEASED, released.receiveMessage(TIMEOUT).outcome());
    Decision outcome = review(c, held.decisionId(), true, null).held().decision();
    assertEquals(DecisionStatus.APPROVED, outcome.status(), outcome::toString);
    assertEquals(List.of(), outcome.preempted());
    assertEquals(t + "-2", outcome.allocationId());
    assertEquals(AllocationStatus.RELEASED, status(c, t + "-1"));

    // Two held FLASH requests on one channel: the first approved takes it, the second is then a CONFLICT.
    decide(c, request("routine-2", 300, Priority.ROUTINE)); // t-3
    Decision first = decide(c, request("flash-a", 300, Priority.FLASH));
    Decision second = decide(c, request("flash-b", 300, Priority.FLASH));
    assertEquals(List.of(t + "-3"), first.wouldPreempt());
    assertEquals(List.of(t + "-3"), second.wouldPreempt());
    assertEquals(DecisionStatus.APPROVED, review(c, first.decisionId(), true, null).held().decision().status());
    DeconflictionCoordinator.ReviewResult late = review(c, second.decisionId(), true, "too late?");
    Decision conflict = late.held().decision();
    assertEquals(DecisionStatus.CONFLICT, conflict.status(), conflict::toString);
    assertEquals(List.of(t + "-4"), conflict.conflicts().stream().map(Conflict::allocationId).toList());
    assertTrue(conflict.reasoning().contains("plan changed"), conflict.reasoning());
    assertNull(conflict.allocationId());
    assertEquals(HeldRequest.Verdict.APPROVED, late.held().review().verdict(), "the approval is recorded, whatever came of it");
    assertEquals(List.of(), pending(c));
  }

  @Test
  void anApprovalThatWouldNowPreemptMoreHoldsTheRequestAgainUntilApprovedAgain() {
    String t = "hold-more";
    var c = coordinator(t, NEEDS_APPROVAL);
    decide(c, request("routine-a", 1000, Priority.ROUTINE)); // t-1
    // 1 MHz wide around 1000.25: overlaps t-1 now, and 1000.5 once someone takes it.
    Decision held = decide(c, request("wide-flash", 1000.25, 1000, Priority.FLASH, null));
    assertEquals(List.of(t + "-1"), held.wouldPreempt());
    // Clear of t-1 (gap 0.475 MHz), so approved at once, but inside the held request's band.
    assertEquals(t + "-2", decide(c, request("routine-b", 1000.5, Priority.ROUTINE)).allocationId());

    DeconflictionCoordinator.ReviewResult again = review(c, held.decisionId(), true, "first try");
    assertEquals(DeconflictionCoordinator.ReviewResult.Outcome.REVIEWED, again.outcome());
    assertTrue(again.held().pending(), "held again: " + again.held());
    assertEquals(DecisionStatus.PENDING_APPROVAL, again.held().decision().status());
    assertEquals(List.of(t + "-1", t + "-2"), again.held().decision().wouldPreempt());
    assertTrue(again.held().decision().reasoning().contains("approve again"), again.held().decision().reasoning());
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-1"));
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-2"));
    assertEquals(1, pending(c).size());

    c = restarted(c, t);
    assertEquals(List.of(t + "-1", t + "-2"), pending(c).get(0).decision().wouldPreempt());
    Decision outcome = review(c, held.decisionId(), true, "second try").held().decision();
    assertEquals(DecisionStatus.APPROVED, outcome.status(), outcome::toString);
    assertEquals(List.of(t + "-1", t + "-2"), outcome.preempted());
    assertEquals(AllocationStatus.PREEMPTED, status(c, t + "-2"));
  }

  @Test
  void aRejectedRequestPreemptsNothingAndIsDecidedOnce() {
    String t = "hold-reject";
    var c = coordinator(t, NEEDS_APPROVAL);
    decide(c, request("routine", 243, Priority.ROUTINE));
    AllocationRequest keyed = request("flash", 243, 25, Priority.FLASH, "http:k1");
    Decision held = decide(c, keyed);
    assertEquals(held, decide(c, keyed), "a retry answers the held decision");

    DeconflictionCoordinator.ReviewResult rejected = review(c, held.decisionId(), false, "not now");
    assertEquals(DeconflictionCoordinator.ReviewResult.Outcome.REVIEWED, rejected.outcome());
    Decision outcome = rejected.held().decision();
    assertEquals(DecisionStatus.REJECTED, outcome.status());
    assertEquals("Rejected by admin (\"not now\"). Nothing was preempted.", outcome.reasoning());
    assertEquals(List.of(), outcome.preempted());
    assertEquals(List.of(), outcome.wouldPreempt());
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-1"));
    assertEquals(outcome, decide(c, keyed), "a retry now answers the outcome");

    DeconflictionCoordinator.ReviewResult twice = review(c, held.decisionId(), true, "changed my mind");
    assertEquals(DeconflictionCoordinator.ReviewResult.Outcome.ALREADY_REVIEWED, twice.outcome());
    assertEquals(HeldRequest.Verdict.REJECTED, twice.held().review().verdict());
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-1"));
    assertEquals(DeconflictionCoordinator.ReviewResult.Outcome.NOT_FOUND, review(c, t + "-d99", true, null).outcome());
    assertEquals(DeconflictionCoordinator.ReviewResult.Outcome.NOT_FOUND, review(c, t + "-d1", true, null).outcome(),
        "a decision that was never held cannot be approved");
  }

  @Test
  void aHeldRequestExpiresAsRejectedAlsoWhenItsTimeCameWhileTheCoordinatorWasDown() {
    String t = "hold-expire";
    var c = coordinator(t, NEEDS_APPROVAL);
    decide(c, request("routine", 243, Priority.ROUTINE));
    Decision first = decide(c, request("flash-1", 243, Priority.FLASH));
    CLOCK.advance(HOLD.plusSeconds(1));
    c.tell(new DeconflictionCoordinator.ExpireDue()); // the wake-up its timer would send
    var coordinator = c;
    fixture.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(15), Duration.ofMillis(200), () -> {
      assertFalse(held(coordinator, first.decisionId()).pending());
      return null;
    });
    HeldRequest expired = held(c, first.decisionId());
    assertEquals(DecisionStatus.REJECTED, expired.decision().status());
    assertEquals(HeldRequest.Verdict.EXPIRED, expired.review().verdict());
    assertNull(expired.review().reviewedBy());
    assertTrue(expired.decision().reasoning().contains("timeout") && expired.decision().reasoning().contains("2h"),
        expired.decision().reasoning());
    assertEquals(AllocationStatus.APPROVED, status(c, t + "-1"));
    assertEquals(DeconflictionCoordinator.ReviewResult.Outcome.ALREADY_REVIEWED,
        review(c, first.decisionId(), true, null).outcome());

    Decision second = decide(c, request("flash-2", 243, Priority.FLASH));
    fixture.testKit.stop(c, TIMEOUT);
    CLOCK.advance(HOLD.plusSeconds(1));
    var again = fixture.testKit.spawn(DeconflictionCoordinator.create(t, SETTINGS));
    fixture.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(15), Duration.ofMillis(200), () -> {
      assertEquals(HeldRequest.Verdict.EXPIRED, held(again, second.decisionId()).review().verdict());
      return null;
    });
    assertEquals(List.of(), pending(again));
  }

  @Test
  void aTheaterHoldsAtMostItsLimitAndRefusesMoreWithoutRecordingThem() {
    String t = "hold-limit";
    var c = coordinator(t, NEEDS_APPROVAL);
    decide(c, request("routine", 243, Priority.ROUTINE));
    decide(c, request("flash-1", 243, Priority.FLASH));
    decide(c, request("flash-2", 243, Priority.FLASH));
    TestProbe<StatusReply<Decision>> probe = fixture.testKit.createTestProbe();
    c.tell(new DeconflictionCoordinator.RequestAllocation(request("flash-3", 243, Priority.FLASH), probe.getRef()));
    StatusReply<Decision> refused = probe.receiveMessage(TIMEOUT);
    assertTrue(refused.isError());
    assertTrue(refused.getError().getMessage().contains("max-pending-approvals"), refused.getError().getMessage());
    assertEquals(2, pending(c).size());
    // Requests that need no approval are decided as ever; the refused one took no decision number.
    Decision free = decide(c, request("elsewhere", 5000, Priority.ROUTINE));
    assertEquals(DecisionStatus.APPROVED, free.status());
    assertEquals(t + "-d4", free.decisionId());
  }

  @Test
  void withoutTheFlagAPreemptingRequestIsApprovedAtOnce() {
    String t = "hold-off";
    var c = coordinator(t, Roe.NONE);
    decide(c, request("routine", 243, Priority.ROUTINE));
    Decision flash = decide(c, request("flash", 243, Priority.FLASH));
    assertEquals(DecisionStatus.APPROVED, flash.status());
    assertEquals(List.of(t + "-1"), flash.preempted());
    assertEquals(List.of(), flash.wouldPreempt());
    assertEquals(List.of(), pending(c));
    assertEquals(AllocationStatus.PREEMPTED, status(c, t + "-1"));
  }
}
