package io.troupe.monitoring;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.hotspot.DefaultExports;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's shared metric registry, which {@code /metrics} serves. It holds the JVM (hotspot)
 * collectors; every other metric is defined by the module that records it (e.g. the runtime's
 * {@code BrokerMetrics}, the agents' {@code SpectrumMetrics}, {@link ClusterMetrics} here), as a
 * Pekko extension that registers its families on this registry. An extension is created once
 * per ActorSystem, so each family is registered once per node.
 *
 * <p>One registry per ActorSystem rather than the global default registry, so several nodes in
 * one JVM (as in the cluster tests) each serve their own figures and none registers twice.
 * Names follow the rule in the README's Metrics section.
 */
public final class Metrics implements Extension {

  /** Latency buckets in seconds, from sub-millisecond journal writes to slow model calls. */
  public static final double[] LATENCY_BUCKETS = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
  };

  public final CollectorRegistry registry = new CollectorRegistry(true);

  private Metrics() {
    DefaultExports.register(registry);
  }

  /** The registry of this ActorSystem's node. */
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
