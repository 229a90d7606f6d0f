package io.troupe.runtime.agent;

import io.troupe.runtime.governance.cost.CostControl;
import io.troupe.runtime.governance.cost.PricingTable;
import io.troupe.runtime.llm.LlmProvider;
import io.troupe.runtime.llm.ResponseCache;
import io.troupe.runtime.tool.ToolRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * What a session needs from its node: model providers by name, the tool registry, the response
 * cache, its time limits and size limits (troupe.sessions), and cost control (pricing, budgets).
 */
public record SessionServices(Map<String, LlmProvider> providers, ToolRegistry tools, ResponseCache cache,
                              Duration llmTimeout, Duration maxDuration, CostControl costs, SessionLimits limits) {

  /** With the default size limits. */
  public SessionServices(Map<String, LlmProvider> providers, ToolRegistry tools, ResponseCache cache,
                         Duration llmTimeout, Duration maxDuration, CostControl costs) {
    this(providers, tools, cache, llmTimeout, maxDuration, costs, SessionLimits.DEFAULT);
  }

  /** These services with other size limits (tests of the bounds). */
  public SessionServices withLimits(SessionLimits other) {
    return new SessionServices(providers, tools, cache, llmTimeout, maxDuration, costs, other);
  }

  /** Without budgets, prices empty: model calls cost nothing (tests of the loop alone). */
  public SessionServices(Map<String, LlmProvider> providers, ToolRegistry tools, ResponseCache cache,
                         Duration llmTimeout, Duration maxDuration) {
    this(providers, tools, cache, llmTimeout, maxDuration, CostControl.unbudgeted(new PricingTable(java.util.List.of())));
  }

  public static SessionServices from(SessionSettings sessions, Map<String, LlmProvider> providers, ToolRegistry tools,
                                     CostControl costs) {
    return new SessionServices(Map.copyOf(providers), tools, new ResponseCache(sessions.cacheEntries()),
        sessions.llmTimeout(), sessions.maxDuration(), costs, sessions.limits());
  }
}
