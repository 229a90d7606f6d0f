package io.troupe.runtime.agent;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.troupe.monitoring.BoundedLabel;
import io.troupe.monitoring.Metrics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What {@link Session} reports: finished sessions, tool calls, sessions running, parked and waiting
 * to resume, and model calls (requests, latency, tokens, the response cache). Costs and budget refusals are governance
 * figures ({@code GovernanceMetrics}).
 */
public final class SessionMetrics implements Extension {

  public final Counter agentSessions;
  public final Histogram agentDuration;
  public final Histogram agentIterations;
  public final Counter agentToolCalls;
  public final Gauge activeAgents;
  public final Counter llmRequests;
  public final Histogram llmDuration;
  /** The node's one token count (per model: sum without provider); costs are in dollars, not tokens. */
  public final Counter llmTokens;
  public final Counter llmCacheHits;
  public final Counter llmCacheMisses;
  /** How often a session met one of its size limits ({@link SessionLimits}). */
  public final Counter sessionLimits;
  /** Sessions parked (FAILED_RECOVERY) after resuming repeatedly without progress, by agent. */
  public final Counter sessionsParked;
  /** Resumed sessions waiting on this node for their turn to take their first step ({@link ResumeGate}). */
  public final Gauge resumesWaiting;
  /** Wakes sent by the cluster's {@link SessionReviver} (on the node that runs it) to running sessions. */
  public final Counter sessionsWoken;
  /** Tool calls that waited for a person: requested, then approved, rejected or timed_out; by agent. */
  public final Counter approvals;
  /** From an approval's request to its decision (or its timeout), by agent. */
  public final Histogram approvalWait;
  /** Turns of conversations started by a message (the first turn is the session's start), by agent. */
  public final Counter turns;
  /**
   * Agent names and model names are chosen by users: bounded like theaters. The models of the
   * pricing table (and built-in agents, admitted by the agents module) keep their own label
   * however many made-up names come first.
   */
  public final BoundedLabel agentLabel = new BoundedLabel(100);
  public final BoundedLabel modelLabel = new BoundedLabel(50);

  private SessionMetrics(CollectorRegistry registry) {
    agentSessions = Counter.build()
        .name("embm_agent_sessions_total").help("Agent sessions finished, by agent and final status")
        .labelNames("agent_name", "status").register(registry);
    agentDuration = Histogram.build()
        .name("embm_agent_duration_seconds").help("Duration of finished agent sessions")
        .labelNames("agent_name").buckets(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600).register(registry);
    agentIterations = Histogram.build()
        .name("embm_agent_iterations").help("Model round trips of finished agent sessions")
        .labelNames("agent_name").buckets(1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50).register(registry);
    agentToolCalls = Counter.build()
        .name("embm_agent_tool_calls_total").help("Tool calls completed, by agent, tool and outcome (ok or error)")
        .labelNames("agent_name", "tool_name", "outcome").register(registry);
    activeAgents = Gauge.build()
        .name("embm_active_agents").help("Agent sessions running on this node")
        .register(registry);
    llmRequests = Counter.build()
        .name("embm_llm_requests_total").help("Model calls, by provider, model and outcome (ok, error or cached)")
        .labelNames("provider", "model", "outcome").register(registry);
    llmDuration = Histogram.build()
        .name("embm_llm_duration_seconds").help("Duration of model calls that reached the provider")
        .labelNames("provider", "model").buckets(Metrics.LATENCY_BUCKETS).register(registry);
    llmTokens = Counter.build()
        .name("embm_llm_tokens_total")
        .help("Tokens of model calls that reached a provider, by provider, model and direction (input or output)")
        .labelNames("provider", "model", "direction").register(registry);
    llmCacheHits = Counter.build()
        .name("embm_llm_cache_hits_total").help("Model calls answered from the response cache").register(registry);
    llmCacheMisses = Counter.build()
        .name("embm_llm_cache_misses_total").help("Cacheable model calls (temperature 0) not in the cache").register(registry);
    sessionLimits = Counter.build()
        .name("troupe_session_limits_total")
        .help("Session size limits applied: tool calls not run (tool_calls_per_reply), tool results cut"
            + " (tool_result_bytes), sessions ended (state_bytes)")
        .labelNames("limit").register(registry);
    sessionsParked = Counter.build()
        .name("troupe_sessions_parked_total")
        .help("Sessions parked with status FAILED_RECOVERY: resumed troupe.sessions.max-resume-attempts times in a row"
            + " without a step journaled (each resume crashed its entity or node), by agent")
        .labelNames("agent_name").register(registry);
    resumesWaiting = Gauge.build()
        .name("troupe_sessions_resume_waiting")
        .help("Resumed sessions on this node waiting for a turn to take their first step (troupe.sessions.resume-concurrency)")
        .register(registry);
    sessionsWoken = Counter.build()
        .name("troupe_sessions_woken_total")
        .help("Running sessions woken by the session reviver (the cluster singleton that brings back sessions whose"
            + " entity is gone; a live session ignores it), counted on the node that runs it")
        .register(registry);
    approvals = Counter.build()
        .name("troupe_agent_approvals_total")
        .help("Tool calls that needed a person's approval, by agent and outcome (requested, approved, rejected, timed_out)")
        .labelNames("agent_name", "outcome").register(registry);
    approvalWait = Histogram.build()
        .name("troupe_agent_approval_wait_seconds")
        .help("Time from an approval's request to its decision or timeout, by agent")
        .labelNames("agent_name").buckets(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400).register(registry);
    turns = Counter.build()
        .name("troupe_agent_turns_total")
        .help("Conversation turns started by a message (a session's first turn is its start), by agent")
        .labelNames("agent_name").register(registry);
  }

  /** This node's session metrics, registered on its shared registry at the first call. */
  public static SessionMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Extension id: one {@link SessionMetrics} per ActorSystem. */
  public static final class Id extends ExtensionId<SessionMetrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public SessionMetrics createExtension(ActorSystem<?> system) {
      SessionMetrics metrics = new SessionMetrics(Metrics.get(system).registry);
      metrics.modelLabel.admitKnown(io.troupe.runtime.node.RuntimeSettings.get(system).costs().pricing().prices()
          .stream().map(io.troupe.runtime.governance.cost.PricingTable.Price::model).toList());
      return metrics;
    }
  }
}
