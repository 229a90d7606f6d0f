package io.troupe.runtime.governance.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Budget state on its own: UTC calendar periods and their rollover, expiry at the estimate. */
class BudgetStateTest {

  private static final Instant WED = Instant.parse("2026-11-25T23:59:00Z");
  private static final Instant THU = Instant.parse("2026-11-26T00:01:00Z");
  private static final Instant NEXT_MON = Instant.parse("2026-11-30T08:00:00Z");
  private static final Instant DEC = Instant.parse("2026-12-01T08:00:00Z");

  @Test
  void periodsAreUtcCalendarDaysIsoWeeksAndMonths() {
    assertEquals(Instant.parse("2026-11-25T00:00:00Z"), BudgetPeriod.DAY.start(WED));
    assertEquals(Instant.parse("2026-11-26T00:00:00Z"), BudgetPeriod.DAY.end(WED));
    assertEquals(Instant.parse("2026-11-23T00:00:00Z"), BudgetPeriod.WEEK.start(WED), "weeks start on Monday");
    assertEquals(Instant.parse("2026-11-30T00:00:00Z"), BudgetPeriod.WEEK.end(WED));
    assertEquals(Instant.parse("2026-11-01T00:00:00Z"), BudgetPeriod.MONTH.start(WED));
    assertEquals(Instant.parse("2026-12-01T00:00:00Z"), BudgetPeriod.MONTH.end(WED));
  }

  @Test
  void spendingRollsOverWithEachPeriod() {
    BudgetState s = BudgetState.EMPTY
        .apply(new Budget.LimitSet(BudgetPeriod.DAY, 1.0, Map.of(), WED))
        .apply(new Budget.Reserved("r1", 0.5, WED))
        .apply(new Budget.Settled("r1", 0.4, WED));
    assertEquals(0.4, s.spentIn(BudgetPeriod.DAY, WED), 1e-12);
    assertEquals(0.0, s.spentIn(BudgetPeriod.DAY, THU), 1e-12, "a new day starts at nothing");
    assertEquals(0.4, s.spentIn(BudgetPeriod.WEEK, THU), 1e-12);
    assertEquals(0.4, s.spentIn(BudgetPeriod.MONTH, NEXT_MON), 1e-12);
    assertEquals(0.0, s.spentIn(BudgetPeriod.WEEK, NEXT_MON), 1e-12);

    BudgetState thursday = s.apply(new Budget.Settled("r2", 0.3, THU));
    assertEquals(0.3, thursday.spentIn(BudgetPeriod.DAY, THU), 1e-12);
    assertEquals(0.7, thursday.spentIn(BudgetPeriod.WEEK, THU), 1e-12);
    assertEquals(0.0, thursday.spentIn(BudgetPeriod.MONTH, DEC), 1e-12);
  }

  @Test
  void aLimitCountsSpentAndReservedMoney() {
    BudgetState s = BudgetState.EMPTY
        .apply(new Budget.LimitSet(BudgetPeriod.DAY, 1.0, Map.of(BudgetPeriod.DAY, 0.2), WED))
        .apply(new Budget.Reserved("r1", 0.5, WED));
    assertEquals(0.2, s.spentIn(BudgetPeriod.DAY, WED), 1e-12, "the read side's spending so far is the baseline");
    assertNull(s.exceeded(0.3, WED));
    assertEquals(BudgetPeriod.DAY, s.exceeded(0.31, WED));
    assertNull(s.exceeded(0.31, THU), "tomorrow the spending is gone but the open reservation is not");
    BudgetState expired = s.apply(new Budget.Expired("r1", WED));
    assertEquals(0.7, expired.spentIn(BudgetPeriod.DAY, WED), 1e-12, "an expired reservation is spent at its estimate");
    assertEquals(0.0, expired.reservedUsd());
  }

  @Test
  void aBaselineIsTakenOnlyWhenTrackingStarts() {
    BudgetState s = BudgetState.EMPTY
        .apply(new Budget.LimitSet(BudgetPeriod.DAY, 1.0, Map.of(BudgetPeriod.DAY, 0.2), WED))
        .apply(new Budget.LimitSet(BudgetPeriod.WEEK, 5.0, Map.of(BudgetPeriod.DAY, 0.9), WED));
    assertEquals(0.2, s.spentIn(BudgetPeriod.DAY, WED), 1e-12);
    BudgetState removed = s.apply(new Budget.LimitSet(BudgetPeriod.DAY, null, null, WED));
    assertEquals(Map.of(BudgetPeriod.WEEK, 5.0), removed.limits());
  }
}
