package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.troupe.monitoring.BoundedLabel;
import io.troupe.runtime.governance.cost.PricingTable;
import io.troupe.runtime.node.RuntimeSettings;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The model label admits the pricing table's models first: junk names cannot push them into "other". */
class SessionMetricsLabelsTest {

  private static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void pricedModelsKeepTheirLabelAfterJunkSpentTheBudget() {
    SessionMetrics metrics = SessionMetrics.get(kit.system());
    for (int i = 0; i < 200; i++) {
      metrics.modelLabel.of("junk-model-" + i);
    }
    assertEquals(BoundedLabel.OTHER, metrics.modelLabel.of("yet-another-junk-model"), "the budget is spent");
    for (PricingTable.Price price : RuntimeSettings.get(kit.system()).costs().pricing().prices()) {
      assertEquals(price.model(), metrics.modelLabel.of(price.model()), price.model());
    }
    assertEquals("gpt-4o", metrics.modelLabel.of("gpt-4o"));
  }
}
