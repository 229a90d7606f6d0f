package io.troupe.runtime.broker;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.troupe.monitoring.Metrics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The broker's metrics: publishes (by {@link Topic}), live streams (the HTTP edge's SSE
 * streams, limited by {@code troupe.broker.max-streams}) and the delivery lag of agent
 * subscriptions. No topic label: topic names are user input.
 */
public final class BrokerMetrics implements Extension {

  public final Counter brokerMessagesPublished;
  public final Histogram brokerPublishDuration;
  public final Gauge brokerLiveStreams;
  /**
   * Delivery lag of agent subscriptions: the topic's last offset minus the offset the agent's
   * subscription worker last acknowledged, as of that acknowledgement, summed over the workers
   * on this node.
   */
  public final Gauge brokerSubscriberLag;
  /**
   * Messages whose session a subscription could not start yet, by why: the publisher's
   * model_running rate limit ({@code rate_limited}) or concurrent-sessions quota
   * ({@code concurrent_sessions}). Each is tried again later, in order; none is dropped.
   */
  public final Counter brokerDeliveriesDeferred;
  /** Publishes refused because troupe.broker.max-pending-publishes were already waiting on their topic here. */
  public final Counter brokerPublishesRefused;

  /** The {@code reason} label values of {@link #brokerDeliveriesDeferred}. */
  public static final java.util.List<String> DEFERRED_REASONS = java.util.List.of("rate_limited", "concurrent_sessions");

  private BrokerMetrics(CollectorRegistry registry) {
    brokerMessagesPublished = Counter.build()
        .name("embm_broker_messages_published_total").help("Messages persisted to broker topics")
        .register(registry);
    brokerPublishDuration = Histogram.build()
        .name("embm_broker_publish_duration_seconds")
        .help("Time from a publish reaching its topic entity until the message is journaled")
        .buckets(Metrics.LATENCY_BUCKETS).register(registry);
    brokerLiveStreams = Gauge.build()
        .name("embm_broker_live_streams").help("Open SSE streams following a topic on this node")
        .register(registry);
    brokerSubscriberLag = Gauge.build()
        .name("embm_broker_subscriber_lag_messages")
        .help("Messages of subscribed topics not yet delivered to the subscribing agents whose workers run on this node"
            + " (summed; each worker's figure as of its last acknowledgement)")
        .register(registry);
    brokerDeliveriesDeferred = Counter.build()
        .name("troupe_broker_deliveries_deferred_total")
        .help("Subscription deliveries whose session was refused for now (publisher's rate limit or session quota)"
            + " and will be tried again, in order")
        .labelNames("reason").register(registry);
    DEFERRED_REASONS.forEach(r -> brokerDeliveriesDeferred.labels(r));
    brokerPublishesRefused = Counter.build()
        .name("troupe_broker_publishes_refused_total")
        .help("Publishes refused at once (HTTP 503) because troupe.broker.max-pending-publishes publishes were already"
            + " waiting on their topic on this node")
        .register(registry);
  }

  /** This node's broker metrics, registered on its shared registry at the first call. */
  public static BrokerMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Extension id: one {@link BrokerMetrics} per ActorSystem. */
  public static final class Id extends ExtensionId<BrokerMetrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public BrokerMetrics createExtension(ActorSystem<?> system) {
      return new BrokerMetrics(Metrics.get(system).registry);
    }
  }
}
