package io.troupe.runtime.governance.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.LlmRequest;
import io.troupe.runtime.llm.ToolCall;
import io.troupe.runtime.llm.ToolSchema;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A call's estimate before it is made: characters sent / chars-per-token, rounded up once. */
class CostControlTest {

  private static final PricingTable PRICES = new PricingTable(List.of(new PricingTable.Price("gpt-4o", 2.50, 10.00)));

  // 4 + 5 + 1 + (16 + 9) + 2 characters of messages, (1 + 4 + 2) + 1 of tool schemas: 45.
  private static final List<ChatMessage> MESSAGES = List.of(ChatMessage.system("abcd"), ChatMessage.user("hello"),
      ChatMessage.user("x"), ChatMessage.assistant(null, List.of(new ToolCall("c1", "spectrum_request", "{\"mhz\":5}"))),
      ChatMessage.tool("c1", "spectrum_request", "{}"));
  private static final List<ToolSchema> TOOLS = List.of(new ToolSchema("t", "desc", "{}"), new ToolSchema("u", null, null));

  @Test
  void inputIsTheCharactersSentOverCharsPerTokenRoundedUp() {
    CostControl costs = new CostControl(PRICES, 1000, 4, BudgetGate.NONE);
    PricingTable.Cost cost = costs.estimate(new LlmRequest("gpt-4o", MESSAGES, TOOLS, 0.0, Duration.ofMinutes(1)));
    assertEquals(12, cost.inputTokens());
    assertEquals(1000, cost.outputTokens());
    assertEquals((12 * 2.50 + 1000 * 10.00) / 1_000_000, cost.costUsd(), 1e-15);
    assertEquals(12, costs.estimateInputTokens(MESSAGES, TOOLS));
    assertEquals(45, new CostControl(PRICES, 1000, 1, BudgetGate.NONE).estimateInputTokens(MESSAGES, TOOLS));
  }

  @Test
  void oneMessageCountsOnItsOwn() {
    CostControl costs = new CostControl(PRICES, 1000, 4, BudgetGate.NONE);
    assertEquals(7, costs.estimator().messageTokens(MESSAGES.get(3)), "25 characters");
    assertEquals(1, costs.estimator().messageTokens(MESSAGES.get(2)));
    assertEquals(0, costs.estimator().messageTokens(ChatMessage.assistant(null, List.of())));
  }
}
