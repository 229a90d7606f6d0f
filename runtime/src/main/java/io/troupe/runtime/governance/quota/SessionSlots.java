package io.troupe.runtime.governance.quota;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The sessions one user has running, cluster-wide: one sharded entity per user, so a quota of
 * concurrent sessions holds however the user's starts spread over nodes and doors. A start takes a
 * slot for its session id (again for the same id: the same slot); the slot is freed when the
 * session ends, which the entity learns by following the session's events ({@code ended}), or
 * when the start did not happen ({@link Release}). A follow is bounded by the session's longest
 * possible run ({@code troupe.sessions.max-duration}) and a minute.
 *
 * <p>Deliberately not event sourced (a journal write per start and end would double the writes of
 * a short session): when the entity restarts (its node crashed, its shard moved) it starts empty,
 * and sessions already running stop counting until they end. Idle passivation is off, since it
 * would forget running sessions; the entity stops itself once none is left.
 */
public final class SessionSlots {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "SessionSlots");

  private SessionSlots() {}

  /**
   * Starts sharding for the slot entities on this node (idempotent). {@code ended} completes when
   * a session has ended or the given time has passed.
   */
  public static void init(ActorSystem<?> system, java.util.function.BiFunction<String, Duration, CompletionStage<Done>> ended,
                          Duration longestRun) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getShard(),
            id -> ended.apply(id, longestRun.plus(Duration.ofMinutes(1)))))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  public sealed interface Command extends CborSerializable {}

  /** Takes a slot for {@code sessionId} unless {@code limit} sessions already hold one. */
  public record Acquire(String sessionId, int limit, ActorRef<Acquired> replyTo) implements Command {}

  /** The session will not start (its start failed): its slot is free again. */
  public record Release(String sessionId) implements Command {}

  /** How many sessions hold a slot now. */
  public record Count(ActorRef<Acquired> replyTo) implements Command {}

  /** {@code running}: sessions holding a slot after this answer (the asker's included when granted). */
  public record Acquired(boolean granted, int running) implements CborSerializable {}

  private record Ended(String sessionId) implements Command {}

  static Behavior<Command> create(ActorRef<ClusterSharding.ShardCommand> shard,
                                  Function<String, CompletionStage<Done>> ended) {
    return Behaviors.setup(ctx -> running(new LinkedHashSet<>(), shard, ctx, ended));
  }

  private static Behavior<Command> running(Set<String> held, ActorRef<ClusterSharding.ShardCommand> shard,
                                           ActorContext<Command> ctx, Function<String, CompletionStage<Done>> ended) {
    return Behaviors.receive(Command.class)
        .onMessage(Acquire.class, a -> {
          if (held.contains(a.sessionId())) {
            a.replyTo().tell(new Acquired(true, held.size()));
          } else if (held.size() >= a.limit()) {
            a.replyTo().tell(new Acquired(false, held.size()));
          } else {
            held.add(a.sessionId());
            ctx.pipeToSelf(ended.apply(a.sessionId()), (done, failure) -> new Ended(a.sessionId()));
            a.replyTo().tell(new Acquired(true, held.size()));
          }
          return Behaviors.same();
        })
        .onMessage(Count.class, c -> {
          c.replyTo().tell(new Acquired(true, held.size()));
          return Behaviors.same();
        })
        .onMessage(Release.class, r -> free(held, r.sessionId(), shard, ctx))
        .onMessage(Ended.class, e -> free(held, e.sessionId(), shard, ctx))
        .build();
  }

  private static Behavior<Command> free(Set<String> held, String sessionId, ActorRef<ClusterSharding.ShardCommand> shard,
                                        ActorContext<Command> ctx) {
    held.remove(sessionId);
    if (held.isEmpty()) {
      shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf())); // nothing to lose: a fresh one starts empty
    }
    return Behaviors.same();
  }
}
