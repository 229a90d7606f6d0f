package io.troupe.runtime.broker;

import io.troupe.runtime.service.RetryingAsk;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The one way to publish to a topic, for every door (HTTP, the {@code publish_to_topic} tool, and
 * the doors to come). A publish carries who published it ({@code publishedBy}, the API user the
 * door authenticated or the session's owner), which the topic journals with the message.
 *
 * <p>Every publish carries an idempotency key (doors make one up when the client gave none), so
 * an attempt that timed out is asked again without appending twice.
 *
 * <p>Senders starting {@value #AGENT_SENDER_PREFIX} are the runtime's agents': only
 * {@link #publishAsAgent} sends them, a client's publish with one is refused. Subscriber positions
 * belong to whoever created them ({@link Subscriber}); {@code agent.*} positions are the runtime's
 * (subscriptions).
 */
public final class Topics implements Extension {

  /** A message to publish; {@code recipient} may be null. */
  public record Publication(String topic, String sender, String recipient, String messageType, String contentJson,
                            String idempotencyKey, String publishedBy) {}

  /** Senders of this form name an agent of the runtime; clients may not use them. */
  public static final String AGENT_SENDER_PREFIX = "agent:";
  /** Subscriber names of this form are the runtime's subscriptions' ({@code agent.<name>}). */
  public static final String RUNTIME_SUBSCRIBER_PREFIX = "agent.";
  /** The owner of the positions the runtime's subscriptions keep. */
  public static final String RUNTIME = "runtime";

  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final io.troupe.runtime.governance.quota.Quotas quotas;
  /** Publishes waiting on one topic at once, per node (troupe.broker.max-pending-publishes). */
  private final io.troupe.runtime.service.PendingBound pendingPublishes;
  /** Topics known to have messages (so not new), most recently used kept; bounded. */
  private final java.util.Map<String, Boolean> knownTopics = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Boolean> eldest) {
          return size() > KNOWN_TOPICS;
        }
      });
  private static final int KNOWN_TOPICS = 10_000;

  public static Topics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Topics(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    this.asks = io.troupe.runtime.node.RuntimeSettings.get(system).ask().retrying();
    this.quotas = io.troupe.runtime.governance.quota.Quotas.get(system);
    BrokerSettings broker = io.troupe.runtime.node.RuntimeSettings.get(system).broker();
    BrokerMetrics metrics = BrokerMetrics.get(system);
    this.pendingPublishes = new io.troupe.runtime.service.PendingBound(broker.maxPendingPublishes(),
        broker.maxPublishWait(), "publishes are waiting on topic (troupe.broker.max-pending-publishes, max-publish-wait)",
        metrics.brokerPublishesRefused::inc);
  }

  /**
   * A client's publish, within the node's ask policy. A sender starting
   * {@value #AGENT_SENDER_PREFIX} is refused (invalid): it would pass the message off as an agent's.
   */
  public CompletionStage<Topic.Published> publish(Publication p) {
    if (p.sender() != null && p.sender().startsWith(AGENT_SENDER_PREFIX)) {
      return java.util.concurrent.CompletableFuture.failedFuture(io.troupe.runtime.service.Refused.invalid("sender",
          "senders starting '" + AGENT_SENDER_PREFIX + "' are reserved for the runtime's agents"));
    }
    return pendingPublishes.run(p.topic(), () -> claimIfNew(p).thenCompose(claimed ->
        asks.askWithStatus(sharding.entityRefFor(Topic.ENTITY_KEY, p.topic()), replyTo -> command(p, replyTo))));
  }

  /**
   * A publish to a topic without messages creates it: counted against the publisher's topics
   * quota (refused, 403, when it is taken). Topics this node saw with messages are remembered (a
   * bounded set), so a publish to a known topic costs no extra ask.
   */
  private CompletionStage<Void> claimIfNew(Publication p) {
    if (p.publishedBy() == null || knownTopics.containsKey(p.topic())) {
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }
    return info(p.topic()).thenCompose(info -> {
      if (info.lastOffset() > 0) {
        knownTopics.put(p.topic(), Boolean.TRUE);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
      }
      return quotas.claimTopic(p.publishedBy(), p.topic());
    });
  }

  /**
   * An agent's publish (a tool call), sent as {@code agent:<agentName>} whatever {@code p}'s
   * sender; asks again after each attempt that timed out until {@code within} is spent.
   */
  public CompletionStage<Topic.Published> publishAsAgent(String agentName, Publication p, Duration within) {
    Publication asAgent = new Publication(p.topic(), AGENT_SENDER_PREFIX + agentName, p.recipient(), p.messageType(),
        p.contentJson(), p.idempotencyKey(), p.publishedBy());
    // Not bounded by pendingPublishes: a session has one call in flight and waits for it (its
    // time is bounded by `within`), and sessions are bounded per user; a refusal here would be a
    // failed tool call for a moment's queue (seen while a failover's survivors caught up).
    return claimIfNew(asAgent).thenCompose(claimed -> asks.askWithStatusWithin(
        sharding.entityRefFor(Topic.ENTITY_KEY, p.topic()), replyTo -> command(asAgent, replyTo), within));
  }

  /** A named subscriber's acknowledged position in a topic. */
  public CompletionStage<Subscriber.Position> position(String topic, String subscriber) {
    return asks.ask(subscriber(topic, subscriber), Subscriber.GetPosition::new);
  }

  /**
   * Acknowledges a subscriber's messages up to {@code offset} for {@code caller}, which must exist
   * in the topic (an offset past its end is refused as invalid). Acks only move forward, so asking
   * again is harmless. The position becomes the caller's if it was nobody's; another user's, or an
   * {@code agent.*} one (the runtime's), is refused unless the caller is an ADMIN, and stays put.
   */
  public CompletionStage<Subscriber.Position> ack(String topic, String subscriber, long offset,
                                                  io.troupe.runtime.governance.Principal caller) {
    boolean admin = caller.isAdmin();
    if (subscriber.startsWith(RUNTIME_SUBSCRIBER_PREFIX) && !admin) {
      return java.util.concurrent.CompletableFuture.failedFuture(io.troupe.runtime.service.Refused.forbidden(
          "subscriber " + subscriber + " of topic " + topic + " is an agent's subscription, kept by the runtime;"
              + " positions named '" + RUNTIME_SUBSCRIBER_PREFIX + "*' cannot be moved by clients"));
    }
    return info(topic).thenCompose(info -> {
      if (offset > info.lastOffset()) {
        throw io.troupe.runtime.service.Refused.invalid("offset", offset + " is past the end of topic " + topic
            + " (last offset " + info.lastOffset() + ")");
      }
      return acknowledge(topic, subscriber, offset, info.lastOffset(), caller.userId(), admin);
    }).thenApply(position -> {
      // The entity left another's position as it was; say so instead of answering as if moved.
      if (position.owner() != null && !admin && !position.owner().equals(caller.userId())) {
        throw io.troupe.runtime.service.Refused.forbidden("subscriber " + subscriber + " of topic " + topic
            + " belongs to another user; only its creator or an administrator may move it");
      }
      return position;
    });
  }

  /** The runtime's ack of an offset a subscription just received from the topic, so it needs no check. */
  public CompletionStage<Subscriber.Position> ackDelivered(String topic, String subscriber, long offset) {
    return acknowledge(topic, subscriber, offset, offset, RUNTIME, true);
  }

  private CompletionStage<Subscriber.Position> acknowledge(String topic, String subscriber, long offset, long last,
                                                           String ackedBy, boolean mayMoveAny) {
    return asks.askWithStatus(subscriber(topic, subscriber),
        replyTo -> new Subscriber.Ack(offset, last, ackedBy, mayMoveAny, replyTo));
  }

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<Subscriber.Command> subscriber(String topic,
                                                                                                  String name) {
    return sharding.entityRefFor(Subscriber.ENTITY_KEY, Subscriber.entityId(topic, name));
  }

  /** The topic's last offset (0 when it holds no message). */
  public CompletionStage<Topic.Info> info(String topic) {
    return asks.ask(sharding.entityRefFor(Topic.ENTITY_KEY, topic), Topic.GetInfo::new);
  }

  private static Topic.Publish command(Publication p,
                                       org.apache.pekko.actor.typed.ActorRef<org.apache.pekko.pattern.StatusReply<Topic.Published>> replyTo) {
    return new Topic.Publish(p.sender(), p.recipient(), p.messageType(), p.contentJson(), p.idempotencyKey(),
        p.publishedBy(), replyTo);
  }

  /** Extension id: one service per ActorSystem. */
  public static final class Id extends ExtensionId<Topics> {
    private static final Id INSTANCE = new Id();

    @Override
    public Topics createExtension(ActorSystem<?> system) {
      return new Topics(system);
    }
  }
}
