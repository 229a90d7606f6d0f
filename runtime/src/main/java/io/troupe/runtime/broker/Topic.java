package io.troupe.runtime.broker;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A message-broker topic: an ordered, durable, gapless log of messages, one sharded entity per
 * topic name.
 *
 * <p>A message's offset is the sequence number of its {@link MessagePublished} event, the only
 * event a topic writes. That makes the journal itself the broker log: any node replays a topic
 * straight from the database by persistence id and offset range, without waking this entity
 * (see {@link TopicLog}). Subscribers' acknowledged offsets therefore live in their own entity,
 * {@link Subscriber}, rather than as events here.
 *
 * <p>After each message is journaled it is announced on a cluster pub-sub topic, so live streams
 * on every node see it at once.
 */
public final class Topic
    extends EventSourcedBehaviorWithEnforcedReplies<Topic.Command, Topic.Event, Topic.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Topic");

  public static void init(ActorSystem<?> system) {
    int snapshotEvery = io.troupe.runtime.node.RuntimeSettings.get(system).broker().snapshotEvery();
    BrokerMetrics.get(system); // exported from the start, before a first publish
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), snapshotEvery)));
  }

  public static Behavior<Command> create(String topic, int snapshotEvery) {
    return Behaviors.setup(ctx -> new Topic(ctx, topic, snapshotEvery));
  }

  public static PersistenceId persistenceId(String topic) {
    return PersistenceId.of(ENTITY_KEY.name(), topic);
  }

  /** The cluster pub-sub topic on which a topic announces each new message. */
  public static String liveFeed(String topic) {
    return "troupe.topic." + topic;
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /**
   * Appends a message; replies with the offset it got. {@code recipient} may be null. With an
   * {@code idempotencyKey} (may be null), a publish whose key the topic has seen from the same
   * publisher among its last {@value #REMEMBERED_KEYS} keyed publishes is not appended again: the
   * reply is the original one. A tool passes its call id, so a call retried after a crash publishes once.
   */
  public record Publish(String sender, String recipient, String messageType, String contentJson,
                        String idempotencyKey, String publishedBy, ActorRef<StatusReply<Published>> replyTo)
      implements Command {
    public Publish(String sender, String recipient, String messageType, String contentJson,
                   ActorRef<StatusReply<Published>> replyTo) {
      this(sender, recipient, messageType, contentJson, null, null, replyTo);
    }

    public Publish(String sender, String recipient, String messageType, String contentJson, String idempotencyKey,
                   ActorRef<StatusReply<Published>> replyTo) {
      this(sender, recipient, messageType, contentJson, idempotencyKey, null, replyTo);
    }
  }

  /** Replies with the topic's last offset (0 when it holds no message). */
  public record GetInfo(ActorRef<Info> replyTo) implements Command {}

  /** Where a message went. {@code repeated}: its idempotency key was seen before; nothing was appended. */
  public record Published(String topic, long offset, Instant publishedAt, boolean repeated) implements CborSerializable {
    public Published(String topic, long offset, Instant publishedAt) {
      this(topic, offset, publishedAt, false);
    }
  }

  public record Info(String topic, long lastOffset) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  /**
   * A message was appended at {@code offset}. {@code contentJson} is the message body as JSON
   * text; {@code idempotencyKey} is null unless the publisher gave one; {@code publishedBy} is the
   * API user whose key (or whose session) published it, set by the server, never by the client
   * (sessions a subscription starts belong to that user). Both read as null in events stored
   * before the fields existed.
   */
  public record MessagePublished(long offset, String sender, String recipient, String messageType,
                                 String contentJson, Instant publishedAt, String idempotencyKey, String publishedBy)
      implements Event {
    public MessagePublished(long offset, String sender, String recipient, String messageType, String contentJson,
                            Instant publishedAt) {
      this(offset, sender, recipient, messageType, contentJson, publishedAt, null, null);
    }

    public MessagePublished(long offset, String sender, String recipient, String messageType, String contentJson,
                            Instant publishedAt, String idempotencyKey) {
      this(offset, sender, recipient, messageType, contentJson, publishedAt, idempotencyKey, null);
    }
  }

  /**
   * The key a repeat is recognised by: an idempotency key is its publisher's own, so the same key
   * from two users is two publishes. Null without a key; unscoped for messages without a
   * recorded publisher (stored before publishers were), which therefore keep matching their keys.
   */
  static String scopedKey(String publishedBy, String idempotencyKey) {
    if (idempotencyKey == null) {
      return null;
    }
    // User ids never contain a newline, so distinct (user, key) pairs never meet.
    return publishedBy == null ? idempotencyKey : publishedBy + "\n" + idempotencyKey;
  }

  /** How many recent idempotency keys a topic remembers. */
  public static final int REMEMBERED_KEYS = 1000;

  /**
   * The offset of the newest message, and the recent idempotency keys (scoped to their publisher,
   * {@link #scopedKey}) with the offsets they got (oldest first); snapshotted, so recovery reads a
   * bounded tail.
   */
  public record State(long lastOffset, java.util.LinkedHashMap<String, Long> recentKeys) implements CborSerializable {
    static final State EMPTY = new State(0, new java.util.LinkedHashMap<>());

    public State {
      recentKeys = recentKeys == null ? new java.util.LinkedHashMap<>() : recentKeys; // snapshots from before keys
    }

    State apply(Event event) {
      // Java 17 has no pattern switch; MessagePublished is the only event (see class doc).
      MessagePublished published = (MessagePublished) event;
      String key = scopedKey(published.publishedBy(), published.idempotencyKey());
      if (key == null) {
        return new State(published.offset(), recentKeys);
      }
      // Copied only for keyed publishes, so unkeyed ones (most) stay allocation-free.
      java.util.LinkedHashMap<String, Long> keys = new java.util.LinkedHashMap<>(recentKeys);
      keys.put(key, published.offset());
      if (keys.size() > REMEMBERED_KEYS) {
        keys.remove(keys.keySet().iterator().next());
      }
      return new State(published.offset(), keys);
    }
  }

  // --- behavior ---

  private final String topic;
  private final int snapshotEvery;
  private final BrokerMetrics metrics;
  private final org.apache.pekko.actor.ActorRef mediator;
  private final java.time.Clock clock;

  private Topic(ActorContext<Command> ctx, String topic, int snapshotEvery) {
    super(persistenceId(topic),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.topic = topic;
    this.snapshotEvery = snapshotEvery;
    this.metrics = BrokerMetrics.get(ctx.getSystem());
    this.mediator = DistributedPubSub.get(Adapter.toClassic(ctx.getSystem())).mediator();
    this.clock = io.troupe.runtime.node.NodeClock.get(ctx.getSystem()).clock();
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Publish.class, this::onPublish)
        .onCommand(GetInfo.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Info(topic, state.lastOffset())))
        .build();
  }

  private ReplyEffect<Event, State> onPublish(State state, Publish cmd) {
    if (cmd.sender() == null || cmd.messageType() == null || cmd.contentJson() == null) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("sender, messageType and content are required"));
    }
    String key = scopedKey(cmd.publishedBy(), cmd.idempotencyKey());
    Long seen = key == null ? null : state.recentKeys().get(key);
    if (seen != null) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(new Published(topic, seen, null, true)));
    }
    long start = System.nanoTime();
    MessagePublished event = new MessagePublished(state.lastOffset() + 1, cmd.sender(), cmd.recipient(),
        cmd.messageType(), cmd.contentJson(), clock.instant().truncatedTo(ChronoUnit.MILLIS), cmd.idempotencyKey(),
        cmd.publishedBy());
    return Effect().persist(event)
        .thenRun(next -> {
          metrics.brokerPublishDuration.observe((System.nanoTime() - start) / 1e9);
          metrics.brokerMessagesPublished.inc();
          mediator.tell(new DistributedPubSubMediator.Publish(liveFeed(topic), event),
              org.apache.pekko.actor.ActorRef.noSender());
        })
        .thenReply(cmd.replyTo(), next -> StatusReply.success(new Published(topic, event.offset(), event.publishedAt())));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Snapshots only bound recovery; events are the log and are never deleted.
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }
}
