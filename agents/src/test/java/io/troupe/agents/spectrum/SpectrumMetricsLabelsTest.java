package io.troupe.agents.spectrum;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.troupe.monitoring.BoundedLabel;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/** The default theater keeps its own label after made-up theater names spent the label budget. */
class SpectrumMetricsLabelsTest {

  @Test
  void theDefaultTheaterKeepsItsLabel() {
    ActorTestKit kit = ActorTestKit.create(
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    try {
      BoundedLabel theaters = SpectrumMetrics.get(kit.system()).theaterLabel;
      for (int i = 0; i < 100; i++) {
        theaters.of("junk-theater-" + i);
      }
      assertEquals(BoundedLabel.OTHER, theaters.of("one-more-junk-theater"));
      assertEquals(DeconflictionCoordinator.DEFAULT_THEATER, theaters.of(DeconflictionCoordinator.DEFAULT_THEATER));
    } finally {
      kit.shutdownTestKit();
    }
  }
}
