package io.troupe.runtime.governance.cost;

import io.troupe.runtime.db.Database;
import io.troupe.runtime.node.NodeClock;
import io.troupe.runtime.readside.CostQueries;
import io.troupe.runtime.service.RetryingAsk;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The one way into costs and budgets, for every door: spending by period, a user's usage, the
 * forecast and cheaper-model recommendations (from the {@code model_cost} read table and the
 * {@link CostReports} arithmetic), and reading and setting {@link Budget}s. Who may see whose
 * costs is the door's check; a {@code userId} given here has passed it (null: every user).
 */
public final class Costs {

  /** The current UTC period's spending, in total and by model, agent and (for everyone) user. */
  public record Stats(String period, Instant periodStart, Instant periodEnd, String userId, String agent,
                      CostQueries.Totals totals, List<CostQueries.Totals> byModel, List<CostQueries.Totals> byAgent,
                      List<CostQueries.Totals> byUser) {}

  public record PeriodUsage(String period, Instant periodStart, Instant periodEnd, CostQueries.Totals totals) {}

  /** A user's spending this day, week and month, this month's by agent and model, and its budget. */
  public record Usage(String userId, List<PeriodUsage> periods, List<CostQueries.Totals> byAgentThisMonth,
                      List<CostQueries.Totals> byModelThisMonth, Budget.BudgetView budget) {}

  public record Recommendations(int lookbackDays, String userId, String agent, List<CostReports.Recommendation> agents) {}

  private final CostQueries queries;
  private final PricingTable pricing;
  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final Duration askTimeout;
  private final Clock clock;

  public Costs(ActorSystem<?> system, Database database, PricingTable pricing) {
    this.queries = new CostQueries(database);
    this.pricing = pricing;
    this.sharding = ClusterSharding.get(system);
    var ask = io.troupe.runtime.node.RuntimeSettings.get(system).ask();
    this.askTimeout = ask.timeout();
    this.asks = ask.retrying();
    this.clock = NodeClock.get(system).clock();
  }

  public PricingTable pricing() {
    return pricing;
  }

  public CompletionStage<Stats> stats(BudgetPeriod period, String userId, String agent) {
    Instant now = clock.instant();
    List<String> groupings = userId == null ? List.of("model", "agent", "user_id") : List.of("model", "agent");
    return queries.totals(period.start(now), period.end(now), userId, agent, groupings).thenApply(t ->
        new Stats(period.label(), period.start(now), period.end(now), userId, agent, t.get("all").get(0),
            t.get("model"), t.get("agent"), t.get("user_id")));
  }

  public CompletionStage<Usage> usage(String userId) {
    Instant now = clock.instant();
    List<CompletableFuture<PeriodUsage>> periods = Arrays.stream(BudgetPeriod.values())
        .map(p -> queries.totals(p.start(now), p.end(now), userId, null, List.of())
            .thenApply(t -> new PeriodUsage(p.label(), p.start(now), p.end(now), t.get("all").get(0)))
            .toCompletableFuture())
        .toList();
    CompletableFuture<Map<String, List<CostQueries.Totals>>> month = queries.totals(BudgetPeriod.MONTH.start(now),
        BudgetPeriod.MONTH.end(now), userId, null, List.of("agent", "model")).toCompletableFuture();
    CompletableFuture<Budget.BudgetView> budget = budget(Budget.userSubject(userId)).toCompletableFuture();
    List<CompletableFuture<?>> all = new java.util.ArrayList<>(periods);
    all.add(month);
    all.add(budget);
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(done -> new Usage(userId,
        periods.stream().map(CompletableFuture::join).toList(), month.join().get("agent"), month.join().get("model"),
        budget.join()));
  }

  /** One budget (its entity id is {@link Budget#userSubject} or {@link Budget#agentSubject}). */
  public CompletionStage<Budget.BudgetView> budget(String entityId) {
    return asks.ask(budgetRef(entityId), Budget.Get::new);
  }

  /**
   * Sets (or with a null limit removes) one period's limit of a user or an agent (exactly one of
   * them non-null). What the read side counted this period is where a newly limited subject starts.
   */
  public CompletionStage<Budget.BudgetView> setLimit(String userId, String agent, BudgetPeriod period, Double limitUsd) {
    String entityId = userId != null ? Budget.userSubject(userId) : Budget.agentSubject(agent);
    return baseline(userId, agent).thenCompose(baseline -> budgetRef(entityId)
        .<Budget.BudgetView>askWithStatus(replyTo -> new Budget.SetLimit(period, limitUsd, baseline, replyTo), askTimeout));
  }

  /** A linear trend of the last {@code days} daily totals, extrapolated to the month's end. */
  public CompletionStage<CostReports.Forecast> forecast(String userId, String agent, int days) {
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    LocalDate monthStart = today.withDayOfMonth(1);
    var history = queries.dailyTotals(today.minusDays(days), today, userId, agent).toCompletableFuture();
    var month = queries.dailyTotals(monthStart, today, userId, agent).toCompletableFuture();
    return history.thenCombine(month, (h, m) -> CostReports.forecast(CostReports.days(h), userId, agent,
        m.values().stream().mapToDouble(Double::doubleValue).sum(),
        today.lengthOfMonth() - today.getDayOfMonth() + 1, today));
  }

  /** Cheaper models for each agent's token mix over the last {@code days}. */
  public CompletionStage<Recommendations> recommendations(String userId, String agent, int days) {
    Instant now = clock.instant();
    return queries.agentMixes(now.minus(Duration.ofDays(days)), now.plusSeconds(1), userId, agent)
        .thenApply(mixes -> new Recommendations(days, userId, agent, CostReports.recommendations(mixes, pricing)));
  }

  private CompletionStage<Map<BudgetPeriod, Double>> baseline(String userId, String agent) {
    Instant now = clock.instant();
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

  private EntityRef<Budget.Command> budgetRef(String entityId) {
    return sharding.entityRefFor(Budget.ENTITY_KEY, entityId);
  }
}
