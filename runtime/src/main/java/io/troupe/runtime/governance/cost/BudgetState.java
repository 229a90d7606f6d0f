package io.troupe.runtime.governance.cost;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A budget rebuilt from its events: the limit per period, what was spent in the period each last
 * charge fell in, the reservations still open, and the ids of recently closed ones (so a repeated
 * Reserve or Settle of a closed reservation changes nothing). Spending is tracked only while the
 * subject has a limit: a subject without one persists nothing per call.
 */
public record BudgetState(Map<BudgetPeriod, Double> limits, Map<BudgetPeriod, PeriodSpend> spent,
                          Map<String, Reservation> open, List<String> closed) implements CborSerializable {

  /** Closed reservation ids remembered; a session's retries come long before this many later calls. */
  static final int CLOSED_KEPT = 1000;

  public static final BudgetState EMPTY = new BudgetState(Map.of(), Map.of(), Map.of(), List.of());

  /** Dollars charged in the period that started at {@code periodStart}. */
  public record PeriodSpend(Instant periodStart, double spentUsd) implements CborSerializable {}

  public record Reservation(double estimateUsd, Instant at) implements CborSerializable {}

  public BudgetState {
    limits = limits == null ? Map.of() : Map.copyOf(limits);
    spent = spent == null ? Map.of() : Map.copyOf(spent);
    open = open == null ? Map.of() : Map.copyOf(open);
    closed = closed == null ? List.of() : List.copyOf(closed);
  }

  public boolean limited() {
    return !limits.isEmpty();
  }

  public boolean known(String reservationId) {
    return open.containsKey(reservationId) || closed.contains(reservationId);
  }

  /** Spent in the period of {@code period} that holds {@code at}. */
  public double spentIn(BudgetPeriod period, Instant at) {
    PeriodSpend s = spent.get(period);
    return s != null && s.periodStart().equals(period.start(at)) ? s.spentUsd() : 0.0;
  }

  public double reservedUsd() {
    return open.values().stream().mapToDouble(Reservation::estimateUsd).sum();
  }

  /** The first period whose limit {@code estimateUsd} more would exceed at {@code at}, or null. */
  public BudgetPeriod exceeded(double estimateUsd, Instant at) {
    double reserved = reservedUsd();
    for (BudgetPeriod p : BudgetPeriod.values()) {
      Double limit = limits.get(p);
      if (limit != null && spentIn(p, at) + reserved + estimateUsd > limit + 1e-12) {
        return p;
      }
    }
    return null;
  }

  BudgetState apply(Budget.Event event) {
    if (event instanceof Budget.LimitSet e) {
      Map<BudgetPeriod, Double> nextLimits = new EnumMap<>(BudgetPeriod.class);
      nextLimits.putAll(limits);
      if (e.limitUsd() == null) {
        nextLimits.remove(e.period());
      } else {
        nextLimits.put(e.period(), e.limitUsd());
      }
      Map<BudgetPeriod, PeriodSpend> nextSpent = spent;
      if (!limited() && e.baselineUsd() != null) {
        // Tracking starts now: what the read side had already counted this period is the start.
        nextSpent = new EnumMap<>(BudgetPeriod.class);
        for (Map.Entry<BudgetPeriod, Double> b : e.baselineUsd().entrySet()) {
          nextSpent.put(b.getKey(), new PeriodSpend(b.getKey().start(e.at()), b.getValue()));
        }
      }
      return new BudgetState(nextLimits, nextSpent, open, closed);
    }
    if (event instanceof Budget.Reserved e) {
      Map<String, Reservation> next = new LinkedHashMap<>(open);
      next.put(e.reservationId(), new Reservation(e.estimateUsd(), e.at()));
      return new BudgetState(limits, spent, next, closed);
    }
    if (event instanceof Budget.Settled e) {
      return close(e.reservationId(), e.actualUsd(), e.at());
    }
    Budget.Expired e = (Budget.Expired) event;
    Reservation r = open.get(e.reservationId());
    return close(e.reservationId(), r == null ? 0.0 : r.estimateUsd(), e.at());
  }

  /** Charges {@code usd} to every period holding {@code at} and closes the reservation. */
  private BudgetState close(String reservationId, double usd, Instant at) {
    Map<BudgetPeriod, PeriodSpend> nextSpent = new EnumMap<>(BudgetPeriod.class);
    for (BudgetPeriod p : BudgetPeriod.values()) {
      nextSpent.put(p, new PeriodSpend(p.start(at), spentIn(p, at) + usd));
    }
    Map<String, Reservation> nextOpen = new LinkedHashMap<>(open);
    nextOpen.remove(reservationId);
    List<String> nextClosed = new ArrayList<>(closed);
    nextClosed.add(reservationId);
    if (nextClosed.size() > CLOSED_KEPT) {
      nextClosed = nextClosed.subList(nextClosed.size() - CLOSED_KEPT, nextClosed.size());
    }
    return new BudgetState(limits, nextSpent, nextOpen, nextClosed);
  }
}
