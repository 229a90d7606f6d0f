package io.troupe.runtime.governance.ratelimit;

import io.troupe.runtime.governance.EndpointClass;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster-wide rate limits per API key and endpoint class, as this node applies them.
 *
 * <p>Each (key id, class) has one {@link RateLimiter} entity somewhere in the cluster holding its
 * buckets (one per limit: per minute, per hour; a request takes a token from each). Asking it for
 * every request would add a network round trip to each, so a node <em>leases</em> a small batch
 * of tokens (the lease size: 1/50 of the class's smallest limit, at least 1, at most
 * {@code lease-size}) and admits requests from it locally without any message: the fast path.
 * Requests that arrive while a lease is being fetched wait for it (at most {@code max-waiting}
 * per key and class on a node, bounded by {@code ask-timeout}), and the next lease asks for as
 * many tokens as are waiting.
 *
 * <p>The margin, precisely:
 * <ul>
 *   <li><b>Never over the buckets.</b> Every request admitted anywhere used a token that the
 *       key's entity took from all its buckets, so the cluster never admits more than the buckets
 *       release. Only timing shifts: a leased token is used at most {@code lease-ttl} (1 s) after
 *       it left the bucket, or given back. Counted over an arbitrary window, admissions can
 *       therefore exceed what one bucket would have admitted in exactly that window by at most
 *       min(limit&nbsp;&times;&nbsp;lease-ttl&nbsp;/&nbsp;window, nodes&nbsp;&times;&nbsp;(lease&nbsp;&minus;&nbsp;1)):
 *       10 requests for 600 per minute, and none whenever the lease is 1 (limits below 100).</li>
 *   <li><b>May refuse early</b>, by at most (nodes&nbsp;&minus;&nbsp;1)&nbsp;&times;&nbsp;(lease&nbsp;&minus;&nbsp;1)
 *       requests: a node's unused lease holds at most lease&nbsp;&minus;&nbsp;1 tokens (the request
 *       that fetched it took one), and while those sit on other nodes this node's requests may be
 *       refused. They go back to the bucket once the lease expires, within 1.5&nbsp;&times;&nbsp;{@code lease-ttl}
 *       (the expiry sweep runs every half ttl). With the defaults
 *       (lease&nbsp;&le;&nbsp;10) that is at most 9 requests per other node; for limits below 100
 *       per window the lease is 1 and nothing is ever refused early.</li>
 *   <li>A node that was refused remembers it until the bucket refills (the {@code Retry-After} it
 *       answers) and refuses locally meanwhile, without asking again; tokens given back by
 *       other nodes in that time count toward the early-refusal margin above.</li>
 *   <li>When the entity restarts (its node crashed, or its shard moved), its buckets start full
 *       again: the key may get up to one extra full allowance at that moment. See {@link RateLimiter}.</li>
 * </ul>
 *
 * <p><b>When the entity does not answer</b> within {@code ask-timeout} (its node just crashed
 * and the shard has not moved yet, or the cluster is partitioned), the node <em>fails open to a
 * local fallback bucket</em> for {@code fallback-for}: each limit divided by the Up members this
 * node sees, rounded up. A rate limit protects capacity and spend; a shard hand-over of a few
 * seconds should not turn into an outage of every request of every key (which failing closed
 * with 503 would be), and a per-node share keeps the cluster's total near the limit meanwhile.
 * While nodes fall back they admit together at most about one more allowance (the sum of their
 * shares, each a bucket that is created once and refills like any other) on top of what the
 * entity admitted: up to about twice the limit in that window. Each such episode is logged.
 *
 * <p>One instance per ActorSystem: {@code RateLimits.get(system)}.
 */
public final class RateLimits implements Extension {

  private static final Logger log = LoggerFactory.getLogger(RateLimits.class);
  /** A key's local state is dropped after this long unused. */
  private static final long IDLE_NANOS = Duration.ofMinutes(1).toNanos();

  private final ActorSystem<?> system;
  private final RateLimitSettings settings;
  private final ClusterSharding sharding;
  private final Map<String, Local> locals = new ConcurrentHashMap<>();
  /** Lease expiry, refusals and fallback are decided by the node's clock; the sweep is only a wake-up. */
  private final java.time.Clock clock;

  private RateLimits(ActorSystem<?> system) {
    this.system = system;
    this.settings = io.troupe.runtime.node.RuntimeSettings.get(system).rateLimits();
    this.sharding = ClusterSharding.get(system);
    this.clock = io.troupe.runtime.node.NodeClock.get(system).clock();
    RateLimiter.init(system);
    // Every class's series exists from the start (at 0), so rate() over it works before a first 429.
    for (EndpointClass cls : EndpointClass.values()) {
      io.troupe.runtime.governance.GovernanceMetrics.get(system).rateLimitedRequests.labels(cls.label());
    }
    Duration sweep = settings.leaseTtl().dividedBy(2);
    system.scheduler().scheduleAtFixedRate(sweep, sweep, this::sweep, system.executionContext());
  }

  public static RateLimits get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public RateLimitSettings settings() {
    return settings;
  }

  public ActorSystem<?> system() {
    return system;
  }

  /** The subject whose buckets all of a user's keys share (limits: {@code troupe.rate-limits.per-user}). */
  public static String userSubject(String userId) {
    return RateLimitSettings.USER_PREFIX + userId;
  }

  /**
   * Takes one request of {@code keyId} in class {@code cls} from the key's cluster-wide buckets
   * ({@code keyId} may also be a {@link #userSubject}: then from the user's).
   * Completes at once when this node holds leased tokens, remembers a refusal, is falling back,
   * or the class is unlimited; otherwise after at most two lease requests, each bounded by
   * {@code ask-timeout}. Never completes exceptionally.
   */
  public CompletionStage<RateDecision> acquire(String keyId, EndpointClass cls) {
    if (settings.limitsOf(keyId, cls).isEmpty()) {
      return CompletableFuture.completedFuture(RateDecision.ALLOWED);
    }
    String id = RateLimiter.entityId(keyId, cls);
    while (true) {
      Local local = locals.computeIfAbsent(id, i -> new Local(i, cls, settings.limitsOf(keyId, cls)));
      CompletableFuture<RateDecision> decision = new CompletableFuture<>();
      int ask;
      synchronized (local) {
        if (local.dropped) {
          continue; // swept between lookup and lock
        }
        long now = now();
        local.lastUsedNanos = now;
        RateDecision immediate = local.decideLocally(now);
        if (immediate != null) {
          return CompletableFuture.completedFuture(immediate);
        }
        local.waiting.add(decision);
        ask = local.startAskIfIdle();
      }
      if (ask > 0) {
        askEntity(local, ask);
      }
      return decision;
    }
  }

  private void askEntity(Local local, int tokens) {
    sharding.entityRefFor(RateLimiter.ENTITY_KEY, local.entityId)
        .<RateLimiter.Leased>ask(replyTo -> new RateLimiter.Lease(tokens, replyTo), settings.askTimeout())
        .whenComplete((leased, failure) -> onAnswer(local, tokens, leased, failure));
  }

  private void onAnswer(Local local, int asked, RateLimiter.Leased leased, Throwable failure) {
    List<CompletableFuture<RateDecision>> waiters;
    List<RateDecision> decisions = new ArrayList<>();
    int askAgain = 0;
    int stale = 0;
    synchronized (local) {
      local.asking = false;
      long now = now();
      if (failure != null) {
        local.startFallback(now, failure);
      } else {
        stale = local.leased; // an expired lease the sweep has not given back yet
        local.leased = leased.tokens();
        local.leaseExpiresNanos = now + settings.leaseTtl().toNanos();
        if (leased.tokens() < asked) {
          local.refusedUntilNanos = now + Duration.ofMillis(Math.max(1, leased.retryAfterMillis())).toNanos();
          local.refusedBy = leased.refusedBy();
        }
      }
      waiters = new ArrayList<>(local.waiting);
      local.waiting.clear();
      for (CompletableFuture<RateDecision> ignored : waiters) {
        RateDecision d = local.decideLocally(now);
        if (d == null) { // the lease was used up but the bucket had more: wait for another one
          break;
        }
        decisions.add(d);
      }
      for (int i = decisions.size(); i < waiters.size(); i++) {
        local.waiting.add(waiters.get(i));
      }
      if (!local.waiting.isEmpty()) {
        askAgain = local.startAskIfIdle();
      }
    }
    for (int i = 0; i < decisions.size(); i++) {
      waiters.get(i).complete(decisions.get(i));
    }
    if (stale > 0) {
      release(local, stale);
    }
    if (askAgain > 0) {
      askEntity(local, askAgain);
    }
  }

  private void release(Local local, int tokens) {
    sharding.entityRefFor(RateLimiter.ENTITY_KEY, local.entityId).tell(new RateLimiter.Release(tokens));
  }

  /** Gives back expired leases and forgets keys unused for a while. */
  private void sweep() {
    long now = now();
    for (Local local : locals.values()) {
      int release = 0;
      synchronized (local) {
        if (local.leased > 0 && now - local.leaseExpiresNanos >= 0) {
          release = local.leased;
          local.leased = 0;
        }
        if (local.leased == 0 && local.waiting.isEmpty() && !local.asking
            && now - local.lastUsedNanos > IDLE_NANOS
            && now - local.refusedUntilNanos >= 0 && now - local.fallbackUntilNanos >= 0) {
          local.dropped = true;
          locals.remove(local.entityId, local);
        }
      }
      if (release > 0) {
        release(local, release);
      }
    }
  }

  private long now() {
    return io.troupe.runtime.node.NodeClock.epochNanos(clock);
  }

  private int upMembers() {
    int up = 0;
    for (org.apache.pekko.cluster.Member m : Cluster.get(system).state().getMembers()) {
      if (m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) {
        up++;
      }
    }
    return Math.max(1, up);
  }

  /** One key and class on this node. Every field is guarded by the instance's lock. */
  private final class Local {
    final String entityId;
    final List<Limit> limits;
    final int leaseSize;
    final ArrayDeque<CompletableFuture<RateDecision>> waiting = new ArrayDeque<>();
    int leased;
    long leaseExpiresNanos;
    long refusedUntilNanos;
    String refusedBy = "";
    long fallbackUntilNanos;
    Buckets fallback;
    boolean asking;
    boolean dropped;
    long lastUsedNanos;

    Local(String entityId, EndpointClass cls, List<Limit> limits) {
      this.entityId = entityId;
      this.limits = limits;
      this.leaseSize = settings.leaseSizeOf(limits);
      long now = now();
      this.refusedUntilNanos = now;
      this.fallbackUntilNanos = now;
      this.lastUsedNanos = now;
    }

    /** The decision this node can make without the entity, or null when it must ask. */
    RateDecision decideLocally(long now) {
      if (leased > 0) {
        if (now - leaseExpiresNanos < 0) {
          leased--;
          return RateDecision.ALLOWED;
        }
        // Expired: the sweep gives it back; meanwhile it must not be used.
      }
      if (now - fallbackUntilNanos < 0) {
        Buckets.Taken taken = fallback.take(1, now);
        fallback = taken.next();
        return taken.granted() == 1 ? RateDecision.ALLOWED
            : RateDecision.refused(taken.retryAfterNanos(), limits.get(taken.refusedBy()));
      }
      if (now - refusedUntilNanos < 0) {
        return RateDecision.refused(refusedUntilNanos - now, refusedBy);
      }
      if (waiting.size() >= settings.maxWaiting()) {
        // Bounded queue: this key already has max-waiting requests waiting here.
        return RateDecision.refused(0, limits.get(0));
      }
      return null;
    }

    /** Starts a lease request unless one is under way; returns the tokens to ask for, or 0. */
    int startAskIfIdle() {
      if (asking) {
        return 0;
      }
      asking = true;
      return Math.max(leaseSize, waiting.size());
    }

    void startFallback(long now, Throwable failure) {
      int members = upMembers();
      if (fallback == null) { // kept across fallbacks: starting it full each time would multiply the share
        fallback = Buckets.full(limits.stream().map(l -> l.shareOf(members)).toList(), now);
      }
      fallbackUntilNanos = now + settings.fallbackFor().toNanos();
      log.warn("Rate limiter {} did not answer within {} ({}); this node applies its share of the limits"
              + " (1/{} each) for {}", entityId, settings.askTimeout(), failure.toString(), members,
          settings.fallbackFor());
    }
  }

  /** Extension id: one {@link RateLimits} per ActorSystem. */
  public static final class Id extends ExtensionId<RateLimits> {
    private static final Id INSTANCE = new Id();

    @Override
    public RateLimits createExtension(ActorSystem<?> system) {
      return new RateLimits(system);
    }
  }
}
