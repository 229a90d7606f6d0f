package io.troupe.runtime.governance;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.troupe.monitoring.Metrics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Governance metrics: API key checks and permission checks (at the doors), rate-limit refusals,
 * model spend and budget refusals (by sessions), and audit entries lost. Their names predate the
 * naming rule and are published (dashboards read them), so they keep them. Tokens are counted
 * once, in {@code embm_llm_tokens_total} ({@code SessionMetrics}); there is no token count here.
 */
public final class GovernanceMetrics implements Extension {

  /** result: ok, missing (no key presented), invalid (unknown, revoked or wrong key), throttled (address over its invalid-key allowance). */
  public final Counter authAttempts;
  /** result: allowed, denied. */
  public final Counter permissionChecks;
  /** Requests refused with 429, and tool calls refused, by a rate limit; the label is one of the four endpoint classes. */
  public final Counter rateLimitedRequests;
  public final Counter apiCostDollars;
  public final Counter budgetRejections;
  public final Counter auditDropped;

  private GovernanceMetrics(CollectorRegistry registry) {
    authAttempts = Counter.build()
        .name("auth_attempts_total").help("API key checks at the HTTP edge, by result")
        .labelNames("result").register(registry);
    permissionChecks = Counter.build()
        .name("permission_checks_total").help("Permission checks of authenticated requests, by result")
        .labelNames("result").register(registry);
    rateLimitedRequests = Counter.build()
        .name("rate_limited_requests_total").help("Requests (429) and tool calls refused by a rate limit, by endpoint class")
        .labelNames("endpoint_class").register(registry);
    apiCostDollars = Counter.build()
        .name("api_cost_dollars_total")
        .help("Dollars spent on model calls, by model, priced from troupe.costs.pricing (unpriced models add 0; cached replies cost nothing)")
        .labelNames("model").register(registry);
    budgetRejections = Counter.build()
        .name("budget_rejections_total").help("Model calls refused because a user's or an agent's budget would be exceeded")
        .register(registry);
    auditDropped = Counter.build()
        .name("audit_entries_dropped_total")
        .help("Audit entries not written: the bounded queue was full or the database refused a batch five times")
        .register(registry);
  }

  /** This node's governance metrics, registered on its shared registry at the first call. */
  public static GovernanceMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Extension id: one {@link GovernanceMetrics} per ActorSystem. */
  public static final class Id extends ExtensionId<GovernanceMetrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public GovernanceMetrics createExtension(ActorSystem<?> system) {
      return new GovernanceMetrics(Metrics.get(system).registry);
    }
  }
}
