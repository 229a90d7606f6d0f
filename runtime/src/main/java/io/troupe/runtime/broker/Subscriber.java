package io.troupe.runtime.broker;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A named subscriber's position in one topic: the highest offset it has acknowledged. One sharded
 * entity per (topic, subscriber name), so acknowledgements never contend with the topic's own
 * publishes and never take an offset in the topic's log.
 *
 * <p>A position belongs to whoever first acknowledged with it (its {@code owner}); an ack by
 * anyone else changes nothing unless it may move any position (an ADMIN, or the runtime), and
 * {@link Topics} refuses it. Deciding that here, with the ack, leaves no gap between the check and
 * the move. Positions stored before owners were recorded are claimed by their next acknowledgement.
 *
 * <p>Acknowledgements only move forward: acknowledging an offset at or below the current one
 * changes nothing and answers the current position, so a redelivered ack is harmless.
 */
public final class Subscriber
    extends EventSourcedBehaviorWithEnforcedReplies<Subscriber.Command, Subscriber.Event, Subscriber.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Subscriber");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** The entity id of {@code subscriber} on {@code topic}; both are valid {@link TopicNames}, so "/" is unambiguous. */
  public static String entityId(String topic, String subscriber) {
    return topic + "/" + subscriber;
  }

  public static Behavior<Command> create(String entityId) {
    return Behaviors.setup(ctx -> new Subscriber(entityId, io.troupe.runtime.node.NodeClock.get(ctx.getSystem()).clock()));
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /**
   * Acknowledges every offset up to {@code offset}. {@code topicLastOffset} is the topic's last
   * offset as the caller saw it; acknowledging past it is refused. {@code ackedBy} is who asks
   * (the API user, or {@link Topics#RUNTIME} for subscriptions); unless {@code mayMoveAny}, an ack
   * of a position owned by someone else answers the position unchanged.
   */
  public record Ack(long offset, long topicLastOffset, String ackedBy, boolean mayMoveAny,
                    ActorRef<StatusReply<Position>> replyTo) implements Command {
    public Ack(long offset, long topicLastOffset, ActorRef<StatusReply<Position>> replyTo) {
      this(offset, topicLastOffset, null, true, replyTo);
    }
  }

  /** Replies with the current position. */
  public record GetPosition(ActorRef<Position> replyTo) implements Command {}

  /**
   * Where a subscriber stands: {@code nextOffset} is the first offset it has not acknowledged;
   * {@code owner} is who created the position (null until someone acknowledges with it).
   */
  public record Position(String topic, String subscriber, long ackedOffset, long nextOffset, Instant ackedAt,
                         String owner) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  /** {@code ackedBy}: who acknowledged (null in events stored before it was recorded). */
  public record OffsetAcked(long offset, Instant ackedAt, String ackedBy) implements Event {
    public OffsetAcked(long offset, Instant ackedAt) {
      this(offset, ackedAt, null);
    }
  }

  /** {@code owner}: whoever acknowledged first (null when no ack recorded who). */
  public record State(long ackedOffset, Instant ackedAt, String owner) implements CborSerializable {
    static final State EMPTY = new State(0, null, null);

    State apply(Event event) {
      OffsetAcked acked = (OffsetAcked) event; // the only event
      return new State(acked.offset(), acked.ackedAt(), owner != null ? owner : acked.ackedBy());
    }
  }

  // --- behavior ---

  private final String topic;
  private final String subscriber;

  private final java.time.Clock clock;

  private Subscriber(String entityId, java.time.Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    int slash = entityId.indexOf('/');
    this.topic = entityId.substring(0, slash);
    this.subscriber = entityId.substring(slash + 1);
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Ack.class, this::onAck)
        .onCommand(GetPosition.class, (state, cmd) -> Effect().reply(cmd.replyTo(), position(state)))
        .build();
  }

  private ReplyEffect<Event, State> onAck(State state, Ack cmd) {
    if (cmd.offset() < 0) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("offset must not be negative"));
    }
    if (cmd.offset() > cmd.topicLastOffset()) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("offset " + cmd.offset()
          + " is past the end of topic " + topic + " (last offset " + cmd.topicLastOffset() + ")"));
    }
    boolean someoneElses = state.owner() != null && !cmd.mayMoveAny() && !state.owner().equals(cmd.ackedBy());
    if (cmd.offset() <= state.ackedOffset() || someoneElses) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(position(state)));
    }
    return Effect().persist(new OffsetAcked(cmd.offset(), clock.instant().truncatedTo(ChronoUnit.MILLIS), cmd.ackedBy()))
        .thenReply(cmd.replyTo(), next -> StatusReply.success(position(next)));
  }

  private Position position(State state) {
    return new Position(topic, subscriber, state.ackedOffset(), state.ackedOffset() + 1, state.ackedAt(), state.owner());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }
}
