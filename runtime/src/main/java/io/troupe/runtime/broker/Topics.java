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
 */
public final class Topics implements Extension {

  /** A message to publish; {@code recipient} may be null. */
  public record Publication(String topic, String sender, String recipient, String messageType, String contentJson,
                            String idempotencyKey, String publishedBy) {}

  private final ClusterSharding sharding;
  private final RetryingAsk asks;

  public static Topics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Topics(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    this.asks = io.troupe.runtime.node.RuntimeSettings.get(system).ask().retrying();
  }

  /** Publishes within the node's ask policy. */
  public CompletionStage<Topic.Published> publish(Publication p) {
    return asks.askWithStatus(sharding.entityRefFor(Topic.ENTITY_KEY, p.topic()), replyTo -> command(p, replyTo));
  }

  /** Publishes, asking again after each attempt that timed out until {@code within} is spent. */
  public CompletionStage<Topic.Published> publish(Publication p, Duration within) {
    return asks.askWithStatusWithin(sharding.entityRefFor(Topic.ENTITY_KEY, p.topic()), replyTo -> command(p, replyTo),
        within);
  }

  /** A named subscriber's acknowledged position in a topic. */
  public CompletionStage<Subscriber.Position> position(String topic, String subscriber) {
    return asks.ask(subscriber(topic, subscriber), Subscriber.GetPosition::new);
  }

  /**
   * Acknowledges a subscriber's messages up to {@code offset}, which must exist in the topic (an
   * offset past its end is refused as invalid). Acks only move forward, so asking again is harmless.
   */
  public CompletionStage<Subscriber.Position> ack(String topic, String subscriber, long offset) {
    return info(topic).thenCompose(info -> {
      if (offset > info.lastOffset()) {
        throw io.troupe.runtime.service.Refused.invalid("offset", offset + " is past the end of topic " + topic
            + " (last offset " + info.lastOffset() + ")");
      }
      return acknowledge(topic, subscriber, offset, info.lastOffset());
    });
  }

  /** Acknowledges an offset the caller just received from the topic, so it needs no check. */
  public CompletionStage<Subscriber.Position> ackDelivered(String topic, String subscriber, long offset) {
    return acknowledge(topic, subscriber, offset, offset);
  }

  private CompletionStage<Subscriber.Position> acknowledge(String topic, String subscriber, long offset, long last) {
    return asks.askWithStatus(subscriber(topic, subscriber), replyTo -> new Subscriber.Ack(offset, last, replyTo));
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
