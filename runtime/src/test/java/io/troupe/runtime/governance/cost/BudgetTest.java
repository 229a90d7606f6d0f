package io.troupe.runtime.governance.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.MovableClock;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

/** The Budget entity on a real node (journal in PostgreSQL): reserve, settle, expiry, recovery. */
@TroupeNodeTest
class BudgetTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final AtomicInteger SUBJECTS = new AtomicInteger();
  /** The node's clock: reservations expire when it is moved past their timeout. */
  @FromNode private static MovableClock CLOCK;
  @FromNode private static NodeFixture fixture;

  private final String subject = Budget.userSubject("budget-test-" + SUBJECTS.incrementAndGet());
  private ActorRef<Budget.Command> budget = spawn(Duration.ofMinutes(5));

  private ActorRef<Budget.Command> spawn(Duration reservationTimeout) {
    return fixture.testKit.spawn(Budget.create(subject, reservationTimeout, 3));
  }

  private void restart(Duration reservationTimeout) {
    fixture.testKit.stop(budget, TIMEOUT);
    budget = spawn(reservationTimeout);
  }

  private Budget.BudgetView setLimit(BudgetPeriod period, Double limitUsd) {
    TestProbe<StatusReply<Budget.BudgetView>> probe = fixture.testKit.createTestProbe();
    budget.tell(new Budget.SetLimit(period, limitUsd, Map.of(), probe.getRef()));
    StatusReply<Budget.BudgetView> reply = probe.receiveMessage(TIMEOUT);
    assertTrue(reply.isSuccess(), reply::toString);
    return reply.getValue();
  }

  private Budget.Verdict reserve(String id, double estimateUsd) {
    TestProbe<Budget.Verdict> probe = fixture.testKit.createTestProbe();
    budget.tell(new Budget.Reserve(id, estimateUsd, probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  private Budget.BudgetView view() {
    TestProbe<Budget.BudgetView> probe = fixture.testKit.createTestProbe();
    budget.tell(new Budget.Get(probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  private static Budget.PeriodView day(Budget.BudgetView view) {
    return view.periods().stream().filter(p -> p.period() == BudgetPeriod.DAY).findFirst().orElseThrow();
  }

  @Test
  void withoutALimitEverythingIsGrantedAndNothingTracked() {
    assertTrue(reserve("s#1", 100.0).granted());
    budget.tell(new Budget.Settle("s#1", 90.0));
    Budget.BudgetView view = view();
    assertEquals(0, view.openReservations());
    assertEquals(0.0, day(view).spentUsd());
    assertNull(day(view).limitUsd());
  }

  @Test
  void reservationsCountAgainstTheLimitUntilSettledWithTheActualCost() {
    setLimit(BudgetPeriod.DAY, 1.00);
    assertTrue(reserve("s#1", 0.60).granted());
    Budget.Verdict denied = reserve("t#1", 0.50);
    assertFalse(denied.granted(), "0.60 reserved + 0.50 passes 1.00");
    assertEquals(BudgetPeriod.DAY, denied.period());
    assertEquals(1.00, denied.limitUsd());
    assertEquals(0.60, denied.reservedUsd(), 1e-12);

    budget.tell(new Budget.Settle("s#1", 0.20));
    assertTrue(reserve("t#1", 0.50).granted(), "settled at 0.20, so 0.50 more fits");
    Budget.BudgetView view = view();
    assertEquals(0.20, day(view).spentUsd(), 1e-12);
    assertEquals(0.50, view.reservedUsd(), 1e-12);
    assertEquals(0.30, day(view).remainingUsd(), 1e-12);
  }

  @Test
  void aRepeatedReserveOrSettleCountsOnce() {
    setLimit(BudgetPeriod.MONTH, 1.00);
    assertTrue(reserve("s#1", 0.40).granted());
    assertTrue(reserve("s#1", 0.40).granted(), "the same step asking again");
    assertEquals(0.40, view().reservedUsd(), 1e-12);
    budget.tell(new Budget.Settle("s#1", 0.30));
    budget.tell(new Budget.Settle("s#1", 0.30));
    assertTrue(reserve("s#1", 0.40).granted(), "a settled reservation asked again is not reserved again");
    Budget.BudgetView view = view();
    assertEquals(0.0, view.reservedUsd(), 1e-12);
    assertEquals(0.30, view.periods().get(2).spentUsd(), 1e-12);
    restart(Duration.ofMinutes(5));
    assertEquals(0.30, view().periods().get(2).spentUsd(), 1e-12, "recovered from the journal and snapshots");
  }

  @Test
  void anUnsettledReservationExpiresAsSpentAtItsEstimate() {
    setLimit(BudgetPeriod.DAY, 1.00);
    restart(Duration.ofMinutes(1));
    assertTrue(reserve("lost#1", 0.70).granted());
    CLOCK.advance(Duration.ofMinutes(1)); // the node's clock, not a wait: the expiry timer has not fired
    TestProbe<Object> waiter = fixture.testKit.createTestProbe();
    waiter.awaitAssert(TIMEOUT, () -> {
      Budget.BudgetView v = view();
      assertEquals(0, v.openReservations(), v::toString);
      assertEquals(0.70, day(v).spentUsd(), 1e-12, v::toString);
      return null;
    });
    budget.tell(new Budget.Settle("lost#1", 0.10)); // too late: it was charged at the estimate
    assertFalse(reserve("next#1", 0.40).granted());
    assertEquals(0.70, day(view()).spentUsd(), 1e-12);
  }

  @Test
  void aRemovedLimitStopsDenying() {
    setLimit(BudgetPeriod.DAY, 0.0);
    assertFalse(reserve("s#1", 0.01).granted());
    Budget.BudgetView view = setLimit(BudgetPeriod.DAY, null);
    assertNull(day(view).limitUsd());
    assertTrue(reserve("s#1", 0.01).granted());
  }

  @Test
  void aNegativeLimitIsRefused() {
    TestProbe<StatusReply<Budget.BudgetView>> probe = fixture.testKit.createTestProbe();
    budget.tell(new Budget.SetLimit(BudgetPeriod.DAY, -1.0, Map.of(), probe.getRef()));
    assertTrue(probe.receiveMessage(TIMEOUT).isError());
  }
}
