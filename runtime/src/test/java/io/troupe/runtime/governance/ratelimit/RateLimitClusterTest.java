package io.troupe.runtime.governance.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.MovableClock;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three real nodes in one JVM (free loopback ports, one PostgreSQL), started as the node starts:
 * one key's requests spread over all three, all at once, are admitted in total up to the key's
 * limit and no further, minus at most the documented early-refusal margin; another key, and the
 * same key in another endpoint class, are unaffected.
 */
class RateLimitClusterTest {

  /** Per hour, so that refill during the test (one token per 6 s) stays negligible. */
  private static final int LIMIT = 600;
  private static final int PER_NODE = 400;
  private static final List<TroupeNode> nodes = new ArrayList<>();
  /** The three nodes' clock: a lease expires when it is moved, not after waiting for the ttl. */
  private static final MovableClock CLOCK = new MovableClock();

  @BeforeAll
  static void startCluster() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    List<TestNodes.Ports> ports = List.of(TestNodes.Ports.free(), TestNodes.Ports.free(), TestNodes.Ports.free());
    List<String> seeds = List.of(ports.get(0).seed());
    Map<String, Object> limits = Map.of(
        "troupe.rate-limits.classes.reads.per-minute", "off",
        "troupe.rate-limits.classes.reads.per-hour", LIMIT,
        "troupe.rate-limits.classes.deconfliction.per-minute", "off",
        "troupe.rate-limits.classes.deconfliction.per-hour", 100,
        // Generous for a loaded test machine: this test is about the total, not the fallback.
        "troupe.rate-limits.ask-timeout", "10s");
    for (TestNodes.Ports p : ports) {
      nodes.add(TroupeNode.start(TestNodes.config(db, p, seeds, limits), List.of(), List.of(), CLOCK));
    }
    Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
    while (!nodes.stream().allMatch(n -> upMembers(n) == 3)) {
      assertTrue(Instant.now().isBefore(deadline), "three nodes did not see each other Up within 90 s");
      Thread.sleep(200);
    }
  }

  @AfterAll
  static void stopCluster() {
    // Youngest first: each leaves while the oldest (the shard coordinators' host) is still there.
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  @Test
  void aKeySpreadOverThreeNodesIsAdmittedUpToItsLimitInTotal() throws Exception {
    int lease = RateLimits.get(nodes.get(0).system()).settings().leaseSizeOf(EndpointClass.READS);
    assertEquals(10, lease, "600 per hour leases 10 at a time (1/50 of the limit, at most lease-size)");
    // Each node's requests come from its own thread, all at once.
    long start = System.nanoTime();
    ExecutorService callers = Executors.newFixedThreadPool(3);
    List<Future<List<CompletableFuture<RateDecision>>>> perNode = new ArrayList<>();
    try {
      for (TroupeNode node : nodes) {
        perNode.add(callers.submit(() -> {
          RateLimits limits = RateLimits.get(node.system());
          List<CompletableFuture<RateDecision>> decisions = new ArrayList<>(PER_NODE);
          for (int i = 0; i < PER_NODE; i++) {
            decisions.add(limits.acquire("spread-key", EndpointClass.READS).toCompletableFuture());
          }
          return decisions;
        }));
      }
      int admitted = 0;
      int[] admittedPerNode = new int[3];
      for (int n = 0; n < 3; n++) {
        for (CompletableFuture<RateDecision> f : perNode.get(n).get(30, TimeUnit.SECONDS)) {
          RateDecision d = f.get(30, TimeUnit.SECONDS);
          if (d.allowed()) {
            admitted++;
            admittedPerNode[n]++;
          } else {
            assertEquals("600 per 1 hour", d.description());
            assertTrue(d.retryAfter().toSeconds() >= 1, d.toString());
          }
        }
      }
      double elapsedSeconds = (System.nanoTime() - start) / 1e9;
      int refilled = (int) Math.ceil(elapsedSeconds * LIMIT / 3600.0);
      int margin = (nodes.size() - 1) * (lease - 1);
      assertTrue(admitted <= LIMIT + refilled,
          "admitted " + admitted + " of " + 3 * PER_NODE + " with a limit of " + LIMIT + " (+" + refilled + " refilled)");
      assertTrue(admitted >= LIMIT - margin, "admitted " + admitted + ", at least " + (LIMIT - margin) + " expected");
      for (int n = 0; n < 3; n++) {
        assertTrue(admittedPerNode[n] > 0, "node " + n + " admitted none: " + java.util.Arrays.toString(admittedPerNode));
      }
    } finally {
      callers.shutdownNow();
    }

    // Spent: every node refuses the key now.
    for (TroupeNode node : nodes) {
      RateDecision d = RateLimits.get(node.system()).acquire("spread-key", EndpointClass.READS)
          .toCompletableFuture().get(15, TimeUnit.SECONDS);
      assertFalse(d.allowed(), "spent key admitted again");
    }

    // Another key, and the same key in another class, have their own buckets.
    for (int i = 0; i < 60; i++) {
      RateLimits limits = RateLimits.get(nodes.get(i % 3).system());
      assertTrue(limits.acquire("other-key", EndpointClass.READS).toCompletableFuture().get(15, TimeUnit.SECONDS).allowed());
      if (i < 10) {
        assertTrue(limits.acquire("spread-key", EndpointClass.DECONFLICTION).toCompletableFuture()
            .get(15, TimeUnit.SECONDS).allowed());
      }
    }
  }

  @Test
  void tokensLeasedButNotUsedGoBackToTheBucket() throws Exception {
    EndpointClass cls = EndpointClass.DECONFLICTION;
    assertEquals(2, RateLimits.get(nodes.get(0).system()).settings().leaseSizeOf(cls), "100 per hour leases 2");
    // Node 0 leases 2 tokens and uses 1: the other sits there until the lease expires.
    assertTrue(acquire(0, "return-key", cls).allowed());
    // Node 1 takes what is left: 98, or 99 once node 0's spare token is back.
    List<CompletableFuture<RateDecision>> burst = new ArrayList<>();
    for (int i = 0; i < 99; i++) {
      burst.add(RateLimits.get(nodes.get(1).system()).acquire("return-key", cls).toCompletableFuture());
    }
    int admitted = 1;
    for (CompletableFuture<RateDecision> f : burst) {
      admitted += f.get(30, TimeUnit.SECONDS).allowed() ? 1 : 0;
    }
    assertTrue(admitted == 99 || admitted == 100, "admitted " + admitted);
    // Asking the entity itself: once the lease is past its ttl, the spare token comes back with the
    // next sweep (every half ttl), then nothing is left.
    CLOCK.advance(RateLimits.get(nodes.get(0).system()).settings().leaseTtl());
    var entity = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(nodes.get(2).system())
        .entityRefFor(RateLimiter.ENTITY_KEY, RateLimiter.entityId("return-key", cls));
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (admitted < 100 && Instant.now().isBefore(deadline)) {
      RateLimiter.Leased leased = entity.<RateLimiter.Leased>ask(r -> new RateLimiter.Lease(1, r), Duration.ofSeconds(10))
          .toCompletableFuture().get(15, TimeUnit.SECONDS);
      admitted += leased.tokens();
      if (leased.tokens() == 0) {
        assertEquals("100 per 1 hour", leased.refusedBy());
        Thread.sleep(100);
      }
    }
    assertEquals(100, admitted, "every token of the bucket was used exactly once");
    RateLimiter.Leased last = entity.<RateLimiter.Leased>ask(r -> new RateLimiter.Lease(5, r), Duration.ofSeconds(10))
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    assertEquals(0, last.tokens(), "nothing beyond the limit");
    assertTrue(last.retryAfterMillis() > 0 && last.retryAfterMillis() <= 36_000, last.toString());
  }

  private static RateDecision acquire(int node, String key, EndpointClass cls) throws Exception {
    return RateLimits.get(nodes.get(node).system()).acquire(key, cls).toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  private static int upMembers(TroupeNode node) {
    int up = 0;
    for (org.apache.pekko.cluster.Member m : Cluster.get(node.system()).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }
}
