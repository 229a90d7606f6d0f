package io.troupe.http;

import io.troupe.runtime.readside.CostQueries;
import io.troupe.runtime.governance.cost.Costs;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.cost.Budget;
import io.troupe.runtime.governance.cost.BudgetPeriod;
import io.troupe.runtime.node.TroupeNode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Costs over HTTP: spending by period, a user's usage and budgets, setting budgets, a forecast,
 * cheaper-model recommendations and the pricing table. Figures come from {@code model_cost}
 * (filled by the cost projection, about a second behind the sessions); budgets from the
 * {@link Budget} entities. A caller with {@code costs:read} sees only its own costs.
 */
public final class CostRoutes extends EdgeDirectives {

  record ModelPrice(String model, String kind, double inputPerMillionUsd, double outputPerMillionUsd) {}

  record Models(String matching, List<ModelPrice> models) {}

  /** A user's usage as the API shows it: the service's figures with the budget in its HTTP form. */
  record Usage(String userId, List<Costs.PeriodUsage> periods, List<CostQueries.Totals> byAgentThisMonth,
               List<CostQueries.Totals> byModelThisMonth, BudgetBodies.BudgetView budget) {
    static Usage of(Costs.Usage u) {
      return new Usage(u.userId(), u.periods(), u.byAgentThisMonth(), u.byModelThisMonth(), BudgetBodies.view(u.budget()));
    }
  }

  private static final int MAX_DAYS = 366;
  private final Costs costs;
  private final int lookbackDays;

  public CostRoutes(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    this.costs = node.costService();
    this.lookbackDays = io.troupe.runtime.node.RuntimeSettings.get(node.system()).costs().lookbackDays();
  }

  /**
   * The routes under /api/v1/costs. The guard has checked each route's permission; what stays here
   * is whose costs the caller may see, which depends on the request.
   */
  public Route route() {
    return pathPrefix("costs", () -> principal(principal -> routes(principal)));
  }

  private Route routes(Principal principal) {
    return concat(
        path("stats", () -> template("/api/v1/costs/stats", () -> get(() -> stats(principal)))),
        path(segment("usage").slash(segment()), userId ->
            template("/api/v1/costs/usage/{userId}", () -> get(() -> usage(principal, userId)))),
        path("budget", () -> template("/api/v1/costs/budget", () -> concat(
            post(this::setBudget),
            get(() -> budget(principal))))),
        path("forecast", () -> template("/api/v1/costs/forecast", () -> get(() -> forecast(principal)))),
        path("recommendations", () -> template("/api/v1/costs/recommendations",
            () -> get(() -> recommendations(principal)))),
        path("models", () -> template("/api/v1/costs/models", () -> get(() -> models(principal)))));
  }

  /** GET /api/v1/costs/stats?period=day|week|month&userId=&agent=: the current UTC period's spending. */
  private Route stats(Principal principal) {
    return filters(principal, (userId, agent, errors) -> parameterOptional("period", periodParam -> {
      BudgetPeriod period = period(periodParam, errors);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return answer(costs.stats(period, userId, agent));
    }));
  }

  /** GET /api/v1/costs/usage/{userId}: the user's spending this day, week and month, and its budget. */
  private Route usage(Principal principal, String userId) {
    FieldErrors errors = new FieldErrors();
    userId(userId, "userId", errors);
    if (errors.any()) {
      return problem(errors.problem());
    }
    Problem refused = CostAccess.refusal(principal, userId);
    if (refused != null) {
      return problem(refused);
    }
    return answer(costs.usage(userId).thenApply(Usage::of));
  }

  /**
   * POST /api/v1/costs/budget: sets (or with "limitUsd": null removes) one period's limit of a user
   * or agent. The guard has checked budgets:write (RouteTable).
   */
  private Route setBudget() {
    return jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      BudgetBodies.BudgetRequest request = BudgetBodies.budgetRequest(body, errors);
      if (request == null) {
        return problem(errors.problem());
      }
      String user = "user".equals(request.scope()) ? request.subject() : null;
      String agent = "agent".equals(request.scope()) ? request.subject() : null;
      return answer(costs.setLimit(user, agent, request.period(), request.limitUsd()).thenApply(BudgetBodies::view));
    });
  }

  /**
   * GET /api/v1/costs/budget?scope=user|agent&subject=: one budget's limits, spending and open
   * reservations. An agent's, or another user's, needs costs:read-all.
   */
  private Route budget(Principal principal) {
    return parameterOptional("scope", scopeParam -> parameterOptional("subject", subjectParam -> {
      FieldErrors errors = new FieldErrors();
      String scope = scopeParam.orElse(null);
      if (scope == null) {
        errors.add("scope", "is required: user or agent");
      } else if (!List.of("user", "agent").contains(scope)) {
        errors.add("scope", "must be user or agent");
      }
      String subject = subjectParam.orElse(null);
      if (subject == null) {
        errors.add("subject", "is required: a user id or an agent name");
      } else if ("agent".equals(scope)) {
        TopicNames.problem(subject).ifPresent(p -> errors.add("subject", p));
      } else {
        userId(subject, "subject", errors);
      }
      if (errors.any()) {
        return problem(errors.problem());
      }
      Problem refused = "user".equals(scope) ? CostAccess.refusal(principal, subject)
          : CostAccess.lacking(principal, Permission.COSTS_READ_ALL);
      if (refused != null) {
        return problem(refused);
      }
      String entityId = "user".equals(scope) ? Budget.userSubject(subject) : Budget.agentSubject(subject);
      return answer(costs.budget(entityId).thenApply(BudgetBodies::view));
    }));
  }

  /** GET /api/v1/costs/forecast?userId=&agent=&days=: a linear trend of the daily totals, extrapolated. */
  private Route forecast(Principal principal) {
    return filters(principal, (userId, agent, errors) -> parameterOptional("days", daysParam -> {
      long days = errors.queryLong(daysParam, "days", lookbackDays, 2, MAX_DAYS);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return answer(costs.forecast(userId, agent, (int) days));
    }));
  }

  /** GET /api/v1/costs/recommendations?userId=&agent=&days=: cheaper models for each agent's token mix. */
  private Route recommendations(Principal principal) {
    return filters(principal, (userId, agent, errors) -> parameterOptional("days", daysParam -> {
      long days = errors.queryLong(daysParam, "days", lookbackDays, 1, MAX_DAYS);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return answer(costs.recommendations(userId, agent, (int) days));
    }));
  }

  /** GET /api/v1/costs/models: the pricing table. */
  private Route models(Principal principal) {
    Problem refused = CostAccess.refusal(principal, null);
    if (refused != null) {
      return problem(refused);
    }
    return complete(Json.response(StatusCodes.OK, new Models("a model name is priced as the longest name here it"
        + " starts with (gpt-4o-2024-08-06 as gpt-4o); other models are counted in tokens and flagged unpriced",
        costs.pricing().prices().stream().map(p -> new ModelPrice(p.model(), p.model().contains("embedding") ? "embedding" : "chat",
            p.inputPerMillionUsd(), p.outputPerMillionUsd())).toList())));
  }

  /** Reads and checks userId and agent, then answers with the user the caller may see (null: everyone). */
  private Route filters(Principal principal, Filtered inner) {
    return parameterOptional("userId", userParam -> parameterOptional("agent", agentParam -> {
      FieldErrors errors = new FieldErrors();
      userParam.ifPresent(u -> userId(u, "userId", errors));
      agentParam.flatMap(TopicNames::problem).ifPresent(p -> errors.add("agent", p));
      Problem refused = CostAccess.refusal(principal, userParam.orElse(null));
      if (refused != null) {
        return problem(refused);
      }
      return inner.apply(CostAccess.scope(principal, userParam.orElse(null)), agentParam.orElse(null), errors);
    }));
  }

  @FunctionalInterface
  private interface Filtered {
    Route apply(String userId, String agent, FieldErrors errors);
  }

  private static void userId(String value, String field, FieldErrors errors) {
    if (value.isBlank()) {
      errors.add(field, "must not be blank");
    } else if (value.length() > 255) {
      errors.add(field, "must be at most 255 characters (was " + value.length() + ")");
    } else if (value.indexOf('\u0000') >= 0) {
      errors.add(field, "must not contain the NUL character");
    }
  }

  private static BudgetPeriod period(Optional<String> raw, FieldErrors errors) {
    if (raw.isEmpty()) {
      return BudgetPeriod.DAY;
    }
    return BudgetPeriod.parse(raw.get().trim()).orElseGet(() -> {
      errors.add("period", "must be day, week or month, was '" + (raw.get().length() <= 40 ? raw.get()
          : raw.get().substring(0, 40) + "…") + "'");
      return BudgetPeriod.DAY;
    });
  }

  private Route answer(CompletionStage<?> result) {
    return respond(result.thenApply(body -> Json.response(StatusCodes.OK, body)));
  }
}
