package io.troupe.runtime.governance.ratelimit;

import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.node.NodeClock;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The cluster-wide token buckets of one API key (or one user, all of whose keys share them) and
 * endpoint class: one sharded entity per (key id or user, class), so however the key's requests spread over nodes they all draw from the same
 * buckets. Nodes do not ask per request: {@link RateLimits} leases small batches of tokens and
 * gives back what it did not use.
 *
 * <p>Deliberately not event sourced: journaling every lease would put a database write on the
 * hot path of every request class. The buckets live in memory, so when the entity restarts
 * (its node crashed, or its shard moved to another node) the key's buckets start full again: at
 * that moment the key may get up to one extra full allowance. Idle passivation is off for this
 * type, because it would reset a half-used hour bucket; instead the entity stops itself once all
 * its buckets are full again, when a fresh one would be identical.
 *
 * <p>Limits come from this node's {@code troupe.rate-limits}; every node should run the same ones.
 */
public final class RateLimiter {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "RateLimiter");
  /** How often an entity checks whether its buckets are full, so it can stop. */
  private static final Duration IDLE_CHECK = Duration.ofMinutes(1);

  private RateLimiter() {}

  /** Starts sharding for the limiter entities on this node (idempotent). */
  public static void init(ActorSystem<?> system) {
    RateLimitSettings settings = io.troupe.runtime.node.RuntimeSettings.get(system).rateLimits();
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, ctx.getShard()))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /**
   * The entity id of a subject's limiter for one class: {@code <class label>:<subject>}, the
   * subject a key id, or {@code user:<user id>} for the buckets all of a user's keys share.
   */
  public static String entityId(String keyId, EndpointClass cls) {
    return cls.label() + ":" + keyId;
  }

  static EndpointClass classOf(String entityId) {
    String label = entityId.substring(0, entityId.indexOf(':'));
    return EndpointClass.valueOf(label.toUpperCase(java.util.Locale.ROOT));
  }

  static String subjectOf(String entityId) {
    return entityId.substring(entityId.indexOf(':') + 1);
  }

  public static Behavior<Command> create(String entityId, RateLimitSettings settings,
                                         ActorRef<ClusterSharding.ShardCommand> shard) {
    List<Limit> limits = settings.limitsOf(subjectOf(entityId), classOf(entityId));
    return Behaviors.withTimers(timers -> Behaviors.setup(ctx -> {
      timers.startTimerWithFixedDelay(CheckIdle.INSTANCE, IDLE_CHECK);
      Clock clock = NodeClock.get(ctx.getSystem()).clock();
      return running(limits, Buckets.full(limits, NodeClock.epochNanos(clock)), shard, ctx.getSelf(), clock);
    }));
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /**
   * Takes up to {@code tokens} tokens from every bucket; replies with how many were granted (0
   * when a bucket is empty). The asking node admits one request per granted token.
   */
  public record Lease(int tokens, ActorRef<Leased> replyTo) implements Command {}

  /** Gives back leased tokens no request used. */
  public record Release(int tokens) implements Command {}

  /** Local timer: stop when every bucket is full. */
  enum CheckIdle implements Command { INSTANCE }

  /**
   * Tokens granted. When fewer than asked: {@code retryAfterMillis} until every bucket holds a
   * token again, and {@code refusedBy}, the limit that needs longest ("10 per 1 minute").
   */
  public record Leased(int tokens, long retryAfterMillis, String refusedBy) implements CborSerializable {}

  // --- behavior ---

  private static Behavior<Command> running(List<Limit> limits, Buckets buckets,
                                           ActorRef<ClusterSharding.ShardCommand> shard, ActorRef<Command> self,
                                           Clock clock) {
    return Behaviors.receive(Command.class)
        .onMessage(Lease.class, lease -> {
          Buckets.Taken taken = buckets.take(Math.max(0, lease.tokens()), NodeClock.epochNanos(clock));
          boolean shortOf = taken.granted() < lease.tokens();
          lease.replyTo().tell(new Leased((int) taken.granted(),
              shortOf ? (taken.retryAfterNanos() + 999_999) / 1_000_000 : 0,
              shortOf && !limits.isEmpty() ? limits.get(taken.refusedBy()).describe() : ""));
          return running(limits, taken.next(), shard, self, clock);
        })
        .onMessage(Release.class, release ->
            running(limits, buckets.giveBack(Math.max(0, release.tokens()), NodeClock.epochNanos(clock)), shard, self, clock))
        .onMessageEquals(CheckIdle.INSTANCE, () -> {
          if (buckets.isFull(NodeClock.epochNanos(clock))) {
            shard.tell(new ClusterSharding.Passivate<>(self)); // nothing to lose: a fresh one starts full
          }
          return Behaviors.same();
        })
        .build();
  }
}
