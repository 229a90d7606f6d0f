package io.troupe.http;

import io.troupe.runtime.readside.CostQueries;
import io.troupe.runtime.governance.cost.CostReports;
import io.troupe.runtime.service.RetryingAsk;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.cost.Budget;
import io.troupe.runtime.governance.cost.BudgetPeriod;
import io.troupe.runtime.governance.cost.PricingTable;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
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

  record Stats(String period, Instant periodStart, Instant periodEnd, String userId, String agent,
               CostQueries.Totals totals, List<CostQueries.Totals> byModel, List<CostQueries.Totals> byAgent,
               List<CostQueries.Totals> byUser) {}

  record PeriodUsage(String period, Instant periodStart, Instant periodEnd, CostQueries.Totals totals) {}

  record Usage(String userId, List<PeriodUsage> periods, List<CostQueries.Totals> byAgentThisMonth,
               List<CostQueries.Totals> byModelThisMonth, BudgetBodies.BudgetView budget) {}

  record Recommendations(int lookbackDays, String userId, String agent, List<CostReports.Recommendation> agents) {}

  private static final int MAX_DAYS = 366;
  private final CostQueries queries;
  private final PricingTable pricing;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final RetryingAsk asks;
  private final int lookbackDays;

  public CostRoutes(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    var settings = io.troupe.runtime.node.RuntimeSettings.get(node.system());
    this.queries = new CostQueries(node.database());
    this.pricing = node.costs().pricing();
    this.sharding = ClusterSharding.get(node.system());
    this.askTimeout = settings.ask().timeout();
    this.asks = settings.ask().retrying();
    this.lookbackDays = settings.costs().lookbackDays();
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
      Instant now = Instant.now();
      List<String> groupings = userId == null ? List.of("model", "agent", "user_id") : List.of("model", "agent");
      return answer(queries.totals(period.start(now), period.end(now), userId, agent, groupings).thenApply(t ->
          new Stats(period.label(), period.start(now), period.end(now), userId, agent, t.get("all").get(0),
              t.get("model"), t.get("agent"), t.get("user_id"))));
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
    Instant now = Instant.now();
    List<CompletableFuture<PeriodUsage>> periods = java.util.Arrays.stream(BudgetPeriod.values())
        .map(p -> queries.totals(p.start(now), p.end(now), userId, null, List.of())
            .thenApply(t -> new PeriodUsage(p.label(), p.start(now), p.end(now), t.get("all").get(0)))
            .toCompletableFuture())
        .toList();
    CompletableFuture<Map<String, List<CostQueries.Totals>>> month = queries.totals(BudgetPeriod.MONTH.start(now),
        BudgetPeriod.MONTH.end(now), userId, null, List.of("agent", "model")).toCompletableFuture();
    CompletableFuture<Budget.BudgetView> budget = asks.<Budget.Command, Budget.BudgetView>ask(
        sharding.entityRefFor(Budget.ENTITY_KEY, Budget.userSubject(userId)), Budget.Get::new).toCompletableFuture();
    CompletableFuture<?> all = CompletableFuture.allOf(periods.get(0), periods.get(1), periods.get(2), month, budget);
    return answer(all.thenApply(done -> new Usage(userId, periods.stream().map(CompletableFuture::join).toList(),
        month.join().get("agent"), month.join().get("model"), BudgetBodies.view(budget.join()))));
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
      // What the read side counted this period is where a newly limited subject starts.
      return answer(baseline(user, agent).thenCompose(baseline -> sharding.entityRefFor(Budget.ENTITY_KEY,
              request.entityId())
          .<Budget.BudgetView>askWithStatus(replyTo -> new Budget.SetLimit(request.period(), request.limitUsd(), baseline,
              replyTo), askTimeout))
          .thenApply(BudgetBodies::view));
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
      return answer(asks.<Budget.Command, Budget.BudgetView>ask(sharding.entityRefFor(Budget.ENTITY_KEY, entityId),
          Budget.Get::new).thenApply(BudgetBodies::view));
    }));
  }

  private CompletionStage<Map<BudgetPeriod, Double>> baseline(String userId, String agent) {
    Instant now = Instant.now();
    Map<BudgetPeriod, Double> out = new EnumMap<>(BudgetPeriod.class);
    CompletionStage<Map<BudgetPeriod, Double>> result = CompletableFuture.completedFuture(out);
    for (BudgetPeriod p : BudgetPeriod.values()) {
      result = result.thenCompose(m -> queries.totals(p.start(now), now, userId, agent, List.of())
          .thenApply(t -> {
            m.put(p, t.get("all").get(0).costUsd());
            return m;
          }));
    }
    return result;
  }

  /** GET /api/v1/costs/forecast?userId=&agent=&days=: a linear trend of the daily totals, extrapolated. */
  private Route forecast(Principal principal) {
    return filters(principal, (userId, agent, errors) -> parameterOptional("days", daysParam -> {
      long days = errors.queryLong(daysParam, "days", lookbackDays, 2, MAX_DAYS);
      if (errors.any()) {
        return problem(errors.problem());
      }
      LocalDate today = LocalDate.now(ZoneOffset.UTC);
      LocalDate monthStart = today.withDayOfMonth(1);
      var history = queries.dailyTotals(today.minusDays(days), today, userId, agent).toCompletableFuture();
      var month = queries.dailyTotals(monthStart, today, userId, agent).toCompletableFuture();
      return answer(history.thenCombine(month, (h, m) -> CostReports.forecast(CostReports.days(h), userId, agent,
          m.values().stream().mapToDouble(Double::doubleValue).sum(),
          today.lengthOfMonth() - today.getDayOfMonth() + 1, today)));
    }));
  }

  /** GET /api/v1/costs/recommendations?userId=&agent=&days=: cheaper models for each agent's token mix. */
  private Route recommendations(Principal principal) {
    return filters(principal, (userId, agent, errors) -> parameterOptional("days", daysParam -> {
      long days = errors.queryLong(daysParam, "days", lookbackDays, 1, MAX_DAYS);
      if (errors.any()) {
        return problem(errors.problem());
      }
      Instant now = Instant.now();
      return answer(queries.agentMixes(now.minus(Duration.ofDays(days)), now.plusSeconds(1), userId, agent)
          .thenApply(mixes -> new Recommendations((int) days, userId, agent,
              CostReports.recommendations(mixes, pricing))));
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
        pricing.prices().stream().map(p -> new ModelPrice(p.model(), p.model().contains("embedding") ? "embedding" : "chat",
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
