package io.troupe.runtime.governance.cost;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** How a session reserves and settles a model call's cost on the budgets of its subjects. */
public interface BudgetGate {

  /**
   * Reserves {@code estimateUsd} on every subject; answers one verdict per subject. When any
   * denies, the others' reservations are released again.
   */
  CompletionStage<List<Budget.Verdict>> reserve(List<String> subjects, String reservationId, double estimateUsd);

  /** Settles the reservation on every subject with the call's actual cost (0 when it failed). */
  void settle(List<String> subjects, String reservationId, double actualUsd);

  /** No budgets at all: everything is granted (tests of the session loop alone). */
  BudgetGate NONE = new BudgetGate() {
    @Override
    public CompletionStage<List<Budget.Verdict>> reserve(List<String> subjects, String reservationId, double estimateUsd) {
      return CompletableFuture.completedFuture(subjects.stream()
          .map(s -> new Budget.Verdict(s, true, null, null, 0, 0, estimateUsd)).toList());
    }

    @Override
    public void settle(List<String> subjects, String reservationId, double actualUsd) {}
  };
}
