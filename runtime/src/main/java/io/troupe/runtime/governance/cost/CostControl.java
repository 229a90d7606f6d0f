package io.troupe.runtime.governance.cost;

import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.LlmRequest;
import io.troupe.runtime.llm.ToolCall;

/**
 * What a session needs to keep model spending within budgets: the pricing table, how to estimate
 * a call before it is made, and the budgets to reserve on ({@link CostSettings}).
 */
public record CostControl(PricingTable pricing, long defaultOutputTokens, int charsPerToken, BudgetGate budgets) {

  /** Prices as configured, no budgets (tests of the session loop alone). */
  public static CostControl unbudgeted(PricingTable pricing) {
    return new CostControl(pricing, 1000, 4, BudgetGate.NONE);
  }

  public static CostControl from(CostSettings costs, BudgetGate budgets) {
    return new CostControl(costs.pricing(), costs.defaultOutputTokens(), costs.charsPerToken(), budgets);
  }

  /**
   * The cost a call may reach before it is made: input as the characters sent (messages, tool
   * calls and tool schemas) / charsPerToken, output as {@code defaultOutputTokens}.
   */
  public PricingTable.Cost estimate(LlmRequest request) {
    long chars = 0;
    for (ChatMessage m : request.messages()) {
      chars += m.content() == null ? 0 : m.content().length();
      for (ToolCall c : m.toolCalls()) {
        chars += c.name().length() + (c.argumentsJson() == null ? 0 : c.argumentsJson().length());
      }
    }
    for (var tool : request.tools()) {
      chars += tool.name().length() + (tool.description() == null ? 0 : tool.description().length())
          + (tool.parametersJsonSchema() == null ? 0 : tool.parametersJsonSchema().length());
    }
    return pricing.cost(request.model(), (chars + charsPerToken - 1) / charsPerToken, defaultOutputTokens);
  }
}
