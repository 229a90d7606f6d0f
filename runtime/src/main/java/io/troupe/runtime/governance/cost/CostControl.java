package io.troupe.runtime.governance.cost;

import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.LlmRequest;
import io.troupe.runtime.llm.TokenEstimator;
import io.troupe.runtime.llm.ToolSchema;
import java.util.List;

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

  /** The token estimator budgets use; context windows use the same one so both agree on sizes. */
  public TokenEstimator estimator() {
    return new TokenEstimator(charsPerToken);
  }

  /** Input tokens of a call as budgets count them: the characters sent / charsPerToken, rounded up. */
  public long estimateInputTokens(List<ChatMessage> messages, List<ToolSchema> tools) {
    return estimator().estimateInputTokens(messages, tools);
  }

  /**
   * The cost a call may reach before it is made: input as the characters sent (messages, tool
   * calls and tool schemas) / charsPerToken, output as {@code defaultOutputTokens}.
   */
  public PricingTable.Cost estimate(LlmRequest request) {
    return pricing.cost(request.model(), estimateInputTokens(request.messages(), request.tools()),
        defaultOutputTokens);
  }
}
