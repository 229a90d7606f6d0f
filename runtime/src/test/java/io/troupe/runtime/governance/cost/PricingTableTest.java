package io.troupe.runtime.governance.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The configured defaults, longest-prefix matching of dated names, unpriced models, context windows. */
class PricingTableTest {

  private static final PricingTable TABLE =
      PricingTable.fromConfig(ConfigFactory.defaultReference().getConfig("troupe.costs.pricing"));

  @Test
  void theDefaultsHoldTheIssuesPrices() {
    assertPrice("gpt-4o", 2.50, 10.00);
    assertPrice("gpt-4o-mini", 0.15, 0.60);
    assertPrice("gpt-4-turbo", 10.00, 30.00);
    assertPrice("gpt-3.5-turbo", 0.50, 1.50);
    assertPrice("claude-3-5-sonnet", 3.00, 15.00);
    assertPrice("text-embedding-3-small", 0.02, 0);
    assertPrice("text-embedding-ada-002", 0.10, 0);
    assertPrice("text-embedding-3-large", 0.13, 0);
    assertEquals(8, TABLE.prices().size());
  }

  @Test
  void datedNamesTakeTheLongestPrefix() {
    assertEquals("gpt-4o", TABLE.priceOf("gpt-4o-2024-08-06").orElseThrow().model());
    assertEquals("gpt-4o-mini", TABLE.priceOf("gpt-4o-mini-2024-07-18").orElseThrow().model());
    assertEquals("claude-3-5-sonnet", TABLE.priceOf("claude-3-5-sonnet-20241022").orElseThrow().model());
    assertEquals("gpt-4o", TABLE.priceOf("GPT-4o").orElseThrow().model(), "case does not matter");
  }

  @Test
  void aCallCostsItsTokensAtTheModelsPrice() {
    PricingTable.Cost cost = TABLE.cost("gpt-4o-2024-08-06", 1_000_000, 500_000);
    assertTrue(cost.priced());
    assertEquals("gpt-4o", cost.pricedAs());
    assertEquals(2.50 + 5.00, cost.costUsd(), 1e-9);
    assertEquals(0.15 * 2 / 1000, TABLE.cost("gpt-4o-mini", 2000, 0).costUsd(), 1e-12);
  }

  @Test
  void unknownModelsCostNothingAndAreFlagged() {
    PricingTable.Cost cost = TABLE.cost("llama-3-70b", 1000, 1000);
    assertFalse(cost.priced());
    assertNull(cost.pricedAs());
    assertEquals(0.0, cost.costUsd());
    assertEquals(1000, cost.inputTokens());
    assertFalse(TABLE.cost(null, 1, 1).priced());
    assertFalse(TABLE.cost("gpt-4", 1, 1).priced(), "gpt-4 is not gpt-4o nor gpt-4-turbo");
  }

  @Test
  void contextWindowsFollowTheSameLongestPrefix() {
    assertEquals(128_000, TABLE.contextWindowOf("gpt-4o-2024-08-06").orElseThrow());
    assertEquals(128_000, TABLE.contextWindowOf("gpt-4o-mini").orElseThrow());
    assertEquals(128_000, TABLE.contextWindowOf("gpt-4-turbo").orElseThrow());
    assertEquals(16_385, TABLE.contextWindowOf("gpt-3.5-turbo-0125").orElseThrow());
    assertEquals(200_000, TABLE.contextWindowOf("claude-3-5-sonnet-20241022").orElseThrow());
    assertEquals(8191, TABLE.contextWindowOf("text-embedding-3-small").orElseThrow());
    assertTrue(TABLE.contextWindowOf("llama-3-70b").isEmpty());
    assertTrue(TABLE.contextWindowOf(null).isEmpty());
    assertEquals(PricingTable.DEFAULT_CONTEXT_WINDOW_TOKENS, TABLE.contextWindowTokensOf("llama-3-70b"));
    assertEquals(200_000, TABLE.contextWindowTokensOf("claude-3-5-sonnet-latest"));
  }

  @Test
  void anEntryWithoutAContextWindowTakesTheDefaultNotItsPrefixes() {
    PricingTable table = PricingTable.fromConfig(ConfigFactory.parseString("""
        "gpt-4o" { input = 2.50, output = 10.00, context-window = 128000 }
        "gpt-4o-audio" { input = 2.50, output = 10.00 }
        """));
    assertTrue(table.contextWindowOf("gpt-4o-audio-preview").isEmpty());
    assertEquals(PricingTable.DEFAULT_CONTEXT_WINDOW_TOKENS, table.contextWindowTokensOf("gpt-4o-audio-preview"));
    assertEquals(OptionalInt.empty(), new PricingTable.Price("m", 1, 1).contextWindowTokens());
    assertThrows(IllegalArgumentException.class, () -> PricingTable.fromConfig(ConfigFactory.parseString(
        "m { input = 1, output = 1, context-window = 0 }")));
  }

  private static void assertPrice(String model, double input, double output) {
    PricingTable.Price p = TABLE.priceOf(model).orElseThrow(() -> new AssertionError("no price for " + model));
    assertEquals(model, p.model());
    assertEquals(input, p.inputPerMillionUsd(), 1e-12, model);
    assertEquals(output, p.outputPerMillionUsd(), 1e-12, model);
  }
}
