package io.troupe.runtime.governance.security;

import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.governance.Principal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Turns a presented API key into a {@link Principal}, on this node. The user's credentials (role
 * and key digests, never keys) are cached for at most {@code troupe.security.credentials-cache-ttl}
 * and dropped at once when {@link ApiUser} announces a change, so a revoked key or a lowered role
 * holds on every node within that bound even if an announcement is lost. The cache is bounded;
 * when full it is cleared (it refills at one entity ask per user).
 */
public final class Authenticator implements Extension {

  /** Announced by {@link ApiUser} when a user's credentials lose rights. */
  public record Changed(String userId) implements CborSerializable {}

  /** The outcome: a principal, or why not (the {@code auth_attempts_total} result label). */
  public record Result(Principal principal, String failure) {
    public boolean authenticated() {
      return principal != null;
    }
  }

  public static final String INVALID = "invalid";
  private static final int MAX_CACHED_USERS = 10_000;

  private record Cached(ApiUser.Credentials credentials, long expiresAtNanos) {}

  private final ClusterSharding sharding;
  private final KnownKeys knownKeys;
  private final Duration ttl;
  private final Duration askTimeout;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
  /**
   * Moves on every announced change: a reply asked for before a change and answered after it may
   * predate the change, so it is used for its own request but not cached.
   */
  private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

  private Authenticator(ActorSystem<?> system) {
    var settings = io.troupe.runtime.node.RuntimeSettings.get(system);
    this.sharding = ClusterSharding.get(system);
    this.knownKeys = KnownKeys.get(system);
    this.ttl = settings.security().credentialsCacheTtl();
    this.askTimeout = settings.ask().timeout();
    var listener = system.systemActorOf(Behaviors.<Object>receiveMessage(m -> {
      if (m instanceof Changed c) {
        generation.incrementAndGet();
        cache.remove(c.userId());
      }
      return Behaviors.same();
    }), "security-changes", Props.empty());
    DistributedPubSub.get(Adapter.toClassic(system)).mediator().tell(
        new DistributedPubSubMediator.Subscribe(ApiUser.CHANGES, Adapter.toClassic(listener)),
        org.apache.pekko.actor.ActorRef.noSender());
  }

  public static Authenticator get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Checks a presented key; fails only when the user's entity cannot be asked in time. */
  public CompletionStage<Result> authenticate(String presented) {
    ApiKeys.KeyRef ref = ApiKeys.refOf(presented);
    String digest = ApiKeys.digest(presented);
    return credentials(ref.userId()).thenApply(c -> {
      String stored = c.role() == null ? null : c.keyDigests().get(ref.keyId());
      // Digest either way, compare in constant time: timing tells nothing about stored keys.
      boolean match = ApiKeys.sameDigest(digest, stored == null ? "" : stored);
      if (!match || stored == null) {
        return new Result(null, INVALID);
      }
      knownKeys.authenticated(presented, ref);
      return new Result(new Principal(ref.userId(), ref.keyId(), c.role(), c.grants()), null);
    });
  }

  /**
   * Whether {@code presented} names a user and key id this node knows were issued ({@link
   * KnownKeys}): answered from memory, without any lookup, and says nothing about the secret.
   */
  public boolean knows(String presented) {
    return knownKeys.knows(presented);
  }

  /** Forgets a user's cached credentials on this node (the API does so after its own changes). */
  public void forget(String userId) {
    generation.incrementAndGet();
    cache.remove(userId);
  }

  private CompletionStage<ApiUser.Credentials> credentials(String userId) {
    Cached cached = cache.get(userId);
    if (cached != null && System.nanoTime() - cached.expiresAtNanos() < 0) {
      return CompletableFuture.completedFuture(cached.credentials());
    }
    long asked = generation.get();
    return sharding.entityRefFor(ApiUser.ENTITY_KEY, userId)
        .<ApiUser.Credentials>ask(ApiUser.GetCredentials::new, askTimeout)
        .thenApply(c -> {
          if (cache.size() >= MAX_CACHED_USERS) {
            long now = System.nanoTime();
            cache.values().removeIf(e -> now - e.expiresAtNanos() >= 0);
            if (cache.size() >= MAX_CACHED_USERS) {
              cache.clear(); // more live users than the bound within one TTL: start over
            }
          }
          if (generation.get() == asked) {
            cache.put(userId, new Cached(c, System.nanoTime() + ttl.toNanos()));
          }
          return c;
        });
  }

  private static final class Id extends ExtensionId<Authenticator> {
    static final Id INSTANCE = new Id();

    @Override
    public Authenticator createExtension(ActorSystem<?> system) {
      return new Authenticator(system);
    }
  }
}
