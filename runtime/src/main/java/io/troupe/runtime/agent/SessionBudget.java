package io.troupe.runtime.agent;

import io.troupe.runtime.governance.cost.Budget;
import java.util.List;
import java.util.Locale;

/** What a session's budget checks are keyed on and how a refusal reads in its events. */
final class SessionBudget {

  private SessionBudget() {}

  /** The budgets a session's model calls are reserved on: its user's and its agent's. */
  static List<String> subjects(SessionState state) {
    return List.of(Budget.userSubject(state.userId() == null ? Session.ANONYMOUS_USER : state.userId()),
        Budget.agentSubject(state.agentName()));
  }

  /** The same for a step run again (after a crash or on another node), so it is never reserved twice. */
  static String reservationId(String sessionId, int iteration) {
    return sessionId + "#" + iteration;
  }

  /** The SessionFailed reason of a call a budget refused: which limit, and the figures. */
  static String refusal(Budget.Verdict denied) {
    return Session.BUDGET_EXCEEDED + ": the " + denied.period().label() + " budget of " + denied.subject() + " ($"
        + usd(denied.limitUsd()) + ") does not cover this model call (spent $" + usd(denied.spentUsd())
        + ", reserved $" + usd(denied.reservedUsd()) + ", this call estimated at $" + usd(denied.estimateUsd()) + ")";
  }

  private static String usd(Double amount) {
    return amount == null ? "?" : String.format(Locale.ROOT, "%.6f", amount);
  }
}
