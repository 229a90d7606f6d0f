package io.troupe.runtime.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.typesafe.config.ConfigFactory;
import io.troupe.monitoring.Metrics;
import io.troupe.runtime.agent.SessionMetrics;
import io.troupe.runtime.broker.BrokerMetrics;
import io.troupe.runtime.governance.GovernanceMetrics;
import java.util.Collections;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

/**
 * Each module's metrics register once per ActorSystem, on that system's registry: asking again
 * does not register twice (simpleclient would throw), and two nodes in one JVM keep their own figures.
 */
class ModuleMetricsTest {

  @Test
  void familiesRegisterOncePerSystemAndEachSystemCountsItsOwn() {
    ActorTestKit first = ActorTestKit.create("metrics-a", ConfigFactory.parseString("pekko.actor.provider = local"));
    ActorTestKit second = ActorTestKit.create("metrics-b", ConfigFactory.parseString("pekko.actor.provider = local"));
    try {
      ActorSystem<?> a = first.system();
      ActorSystem<?> b = second.system();
      assertSame(BrokerMetrics.get(a), BrokerMetrics.get(a));
      assertSame(SessionMetrics.get(a), SessionMetrics.get(a));
      assertSame(GovernanceMetrics.get(a), GovernanceMetrics.get(a));
      assertNotSame(BrokerMetrics.get(a), BrokerMetrics.get(b));

      BrokerMetrics.get(a).brokerMessagesPublished.inc(3);
      BrokerMetrics.get(b).brokerMessagesPublished.inc();
      assertEquals(3.0, Metrics.get(a).registry.getSampleValue("embm_broker_messages_published_total"));
      assertEquals(1.0, Metrics.get(b).registry.getSampleValue("embm_broker_messages_published_total"));
      assertEquals(1, Collections.list(Metrics.get(a).registry
          .filteredMetricFamilySamples(Set.of("budget_rejections_total"))).size());
    } finally {
      first.shutdownTestKit();
      second.shutdownTestKit();
    }
  }
}
