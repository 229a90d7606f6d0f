package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.governance.cost.Budget;
import io.troupe.runtime.governance.cost.BudgetPeriod;
import java.time.Instant;
import java.util.List;

/** POST /api/v1/costs/budget's body, validated field by field, and the budget as the API shows it. */
final class BudgetBodies {

  static final double MAX_LIMIT_USD = 1_000_000_000;

  private BudgetBodies() {}

  /** {"scope":"user"|"agent","subject":"...","period":"day"|"week"|"month","limitUsd":number|null}; null removes. */
  record BudgetRequest(String scope, String subject, BudgetPeriod period, Double limitUsd) {
    String entityId() {
      return "user".equals(scope) ? Budget.userSubject(subject) : Budget.agentSubject(subject);
    }
  }

  static BudgetRequest budgetRequest(JsonNode body, FieldErrors errors) {
    String scope = errors.requiredText(body, "scope", 16);
    if (scope != null && !errors.has("scope") && !List.of("user", "agent").contains(scope)) {
      errors.add("scope", "must be \"user\" or \"agent\", was '" + abbreviate(scope) + "'");
    }
    String subject = errors.requiredText(body, "subject", 255);
    if (subject != null && !errors.has("subject") && "agent".equals(scope)) {
      TopicNames.problem(subject).ifPresent(p -> errors.add("subject", p));
    }
    String periodText = errors.requiredText(body, "period", 16);
    BudgetPeriod period = periodText == null || errors.has("period") ? null
        : BudgetPeriod.parse(periodText).orElse(null);
    if (periodText != null && !errors.has("period") && period == null) {
      errors.add("period", "must be \"day\", \"week\" or \"month\", was '" + abbreviate(periodText) + "'");
    }
    Double limit = null;
    JsonNode limitNode = body.get("limitUsd");
    if (limitNode == null) {
      errors.add("limitUsd", "is required: a number of dollars of at least 0, or null to remove the limit");
    } else if (!limitNode.isNull()) {
      limit = errors.number(body, "limitUsd", null, 0, false, MAX_LIMIT_USD);
    }
    return errors.any() ? null : new BudgetRequest(scope, subject, period, limit);
  }

  record PeriodView(String period, Double limitUsd, double spentUsd, Double remainingUsd, Instant periodStart,
                    Instant periodEnd) {}

  record BudgetView(String subject, List<PeriodView> periods, int openReservations, double reservedUsd) {}

  static BudgetView view(Budget.BudgetView b) {
    return new BudgetView(b.subject(), b.periods().stream().map(p -> new PeriodView(p.period().label(), p.limitUsd(),
        p.spentUsd(), p.remainingUsd(), p.periodStart(), p.periodEnd())).toList(), b.openReservations(), b.reservedUsd());
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
