package io.troupe.monitoring;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.prometheus.client.hotspot.DefaultExports;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Every metric a Troupe node reports, defined in this one place. Metric names and label names
 * are part of Troupe's API (dashboards and alerts depend on them). Label values are always
 * bounded: HTTP routes are templates, never raw paths; no topic name, session id or user input
 * ever becomes a label value.
 *
 * <p>One registry per ActorSystem (a Pekko extension) rather than the global default registry,
 * so several nodes in one JVM (as in the cluster tests) each serve their own figures.
 */
public final class Metrics implements Extension {

  /** Latency buckets in seconds, from sub-millisecond journal writes to slow model calls. */
  private static final double[] LATENCY_BUCKETS = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
  };

  public final CollectorRegistry registry = new CollectorRegistry(true);

  // --- HTTP edge ---
  public final Counter httpRequests = Counter.build()
      .name("http_requests_total").help("HTTP requests answered, by method, route template and status")
      .labelNames("method", "route", "status").register(registry);
  public final Histogram httpRequestDuration = Histogram.build()
      .name("http_request_duration_seconds").help("Time to answer an HTTP request (to response headers)")
      .labelNames("method", "route").buckets(LATENCY_BUCKETS).register(registry);
  /** Requests refused with 429 by a rate limit; the label is one of the four endpoint classes. */
  public final Counter rateLimitedRequests = Counter.build()
      .name("rate_limited_requests_total").help("Requests refused by a rate limit (429), by endpoint class")
      .labelNames("endpoint_class").register(registry);

  // --- Broker ---
  public final Counter brokerMessagesPublished = Counter.build()
      .name("embm_broker_messages_published_total").help("Messages persisted to broker topics")
      .register(registry);
  public final Histogram brokerPublishDuration = Histogram.build()
      .name("embm_broker_publish_duration_seconds")
      .help("Time from a publish reaching its topic entity until the message is journaled")
      .buckets(LATENCY_BUCKETS).register(registry);
  public final Gauge brokerLiveStreams = Gauge.build()
      .name("embm_broker_live_streams").help("Open SSE streams following a topic on this node")
      .register(registry);
  /**
   * Delivery lag of agent subscriptions: the topic's last offset minus the offset the agent's
   * subscription worker last acknowledged, as of that acknowledgement, summed over the workers
   * on this node. No topic label: topic names are user input.
   */
  public final Gauge brokerSubscriberLag = Gauge.build()
      .name("embm_broker_subscriber_lag_messages")
      .help("Messages of subscribed topics not yet delivered to the subscribing agents whose workers run on this node"
          + " (summed; each worker's figure as of its last acknowledgement)")
      .register(registry);

  // --- Agents and model calls ---
  public final Counter agentSessions = Counter.build()
      .name("embm_agent_sessions_total").help("Agent sessions finished, by agent and final status")
      .labelNames("agent_name", "status").register(registry);
  public final Histogram agentDuration = Histogram.build()
      .name("embm_agent_duration_seconds").help("Duration of finished agent sessions")
      .labelNames("agent_name").buckets(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600).register(registry);
  public final Histogram agentIterations = Histogram.build()
      .name("embm_agent_iterations").help("Model round trips of finished agent sessions")
      .labelNames("agent_name").buckets(1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50).register(registry);
  public final Counter agentToolCalls = Counter.build()
      .name("embm_agent_tool_calls_total").help("Tool calls completed, by agent, tool and outcome (ok or error)")
      .labelNames("agent_name", "tool_name", "outcome").register(registry);
  public final Gauge activeAgents = Gauge.build()
      .name("embm_active_agents").help("Agent sessions running on this node")
      .register(registry);
  public final Counter llmRequests = Counter.build()
      .name("embm_llm_requests_total").help("Model calls, by provider, model and outcome (ok, error or cached)")
      .labelNames("provider", "model", "outcome").register(registry);
  public final Histogram llmDuration = Histogram.build()
      .name("embm_llm_duration_seconds").help("Duration of model calls that reached the provider")
      .labelNames("provider", "model").buckets(LATENCY_BUCKETS).register(registry);
  public final Counter llmTokens = Counter.build()
      .name("embm_llm_tokens_total").help("Tokens used, by provider, model and direction (input or output)")
      .labelNames("provider", "model", "direction").register(registry);
  public final Counter llmCacheHits = Counter.build()
      .name("embm_llm_cache_hits_total").help("Model calls answered from the response cache").register(registry);
  public final Counter llmCacheMisses = Counter.build()
      .name("embm_llm_cache_misses_total").help("Cacheable model calls (temperature 0) not in the cache").register(registry);
  // --- Costs and budgets ---
  public final Counter apiCostDollars = Counter.build()
      .name("api_cost_dollars_total")
      .help("Dollars spent on model calls, by model, priced from troupe.costs.pricing (unpriced models add 0; cached replies cost nothing)")
      .labelNames("model").register(registry);
  public final Counter apiTokens = Counter.build()
      .name("api_tokens_total").help("Tokens of model calls that reached a provider, by model and direction (input or output)")
      .labelNames("model", "direction").register(registry);
  public final Counter budgetRejections = Counter.build()
      .name("budget_rejections_total").help("Model calls refused because a user's or an agent's budget would be exceeded")
      .register(registry);
  /** Agent names and model names are chosen by users: bounded like theaters. */
  public final BoundedLabel agentLabel = new BoundedLabel(100);
  public final BoundedLabel modelLabel = new BoundedLabel(50);

  // --- Deconfliction ---
  public final Counter deconflictionRequests = Counter.build()
      .name("embm_deconfliction_requests_total").help("Allocation requests decided, by requested priority")
      .labelNames("priority").register(registry);
  public final Counter deconflictionApprovals = Counter.build()
      .name("embm_deconfliction_approvals_total").help("Requests approved, by priority")
      .labelNames("priority").register(registry);
  public final Counter deconflictionDenials = Counter.build()
      .name("embm_deconfliction_denials_total")
      .help("Requests not approved, by priority and reason (ROE_VIOLATION or CONFLICT)")
      .labelNames("priority", "reason").register(registry);
  public final Counter deconflictionPreemptions = Counter.build()
      .name("embm_deconfliction_preemptions_total").help("Allocations preempted by higher-priority requests")
      .register(registry);
  public final Histogram deconflictionDuration = Histogram.build()
      .name("embm_deconfliction_duration_seconds")
      .help("Time from a request reaching its coordinator until its decision is journaled")
      .buckets(LATENCY_BUCKETS).register(registry);
  public final Counter roeChecks = Counter.build()
      .name("embm_roe_checks_total").help("Requests checked against Rules of Engagement").register(registry);
  public final Counter roeViolations = Counter.build()
      .name("embm_roe_violations_total").help("Rules of Engagement violations found, by type and severity")
      .labelNames("violation_type", "severity").register(registry);
  public final Gauge activeAllocations = Gauge.build()
      .name("embm_active_allocations")
      .help("Active allocations held by coordinators on this node, by theater (first 32 theaters; the rest as \"other\")")
      .labelNames("theater").register(registry);
  public final BoundedLabel theaterLabel = new BoundedLabel(32);

  // --- Cluster and sharding (set by ClusterMetricsReporter) ---
  public final Gauge clusterMembers = Gauge.build()
      .name("troupe_cluster_members").help("Cluster members as seen by this node, by member status")
      .labelNames("status").register(registry);
  public final Gauge clusterUnreachableMembers = Gauge.build()
      .name("troupe_cluster_unreachable_members").help("Members this node sees as unreachable")
      .register(registry);
  public final Gauge clusterIsLeader = Gauge.build()
      .name("troupe_cluster_is_leader").help("1 when this node is the cluster leader, else 0")
      .register(registry);
  public final Gauge shardingShards = Gauge.build()
      .name("troupe_sharding_shards").help("Shards hosted on this node, by entity type")
      .labelNames("entity_type").register(registry);
  public final Gauge shardingEntities = Gauge.build()
      .name("troupe_sharding_entities").help("Entities running on this node, by entity type")
      .labelNames("entity_type").register(registry);

  // --- Governance: authentication, permissions, audit ---
  /** result: ok, missing (no key presented), invalid (unknown, revoked or wrong key), throttled (address over its invalid-key allowance). */
  public final Counter authAttempts = Counter.build()
      .name("auth_attempts_total").help("API key checks at the HTTP edge, by result")
      .labelNames("result").register(registry);
  /** result: allowed, denied. */
  public final Counter permissionChecks = Counter.build()
      .name("permission_checks_total").help("Permission checks of authenticated requests, by result")
      .labelNames("result").register(registry);
  public final Counter auditDropped = Counter.build()
      .name("audit_entries_dropped_total")
      .help("Audit entries not written: the bounded queue was full or the database refused a batch five times")
      .register(registry);

  private Metrics() {
    DefaultExports.register(registry);
  }

  /** The metrics of this ActorSystem's node. */
  public static Metrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Extension id: one {@link Metrics} per ActorSystem. */
  public static final class Id extends ExtensionId<Metrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public Metrics createExtension(ActorSystem<?> system) {
      return new Metrics();
    }
  }
}
