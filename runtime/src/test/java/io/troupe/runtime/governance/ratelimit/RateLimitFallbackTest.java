package io.troupe.runtime.governance.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.governance.EndpointClass;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose limiter entities cannot be reached (it never joined a cluster, so sharding has no
 * coordinator and buffers every message) answers within the ask timeout from its local fallback
 * bucket: still limited, never stuck.
 */
class RateLimitFallbackTest {

  private static ActorSystem<Void> system;

  @BeforeAll
  static void start() throws Exception {
    system = LimiterSystems.start(Map.of(
        "troupe.rate-limits.classes.reads.per-minute", 5,
        "troupe.rate-limits.classes.reads.per-hour", "off",
        "troupe.rate-limits.ask-timeout", "300ms",
        "troupe.rate-limits.fallback-for", "30s"), false);
  }

  @AfterAll
  static void stop() {
    LimiterSystems.stop(system);
  }

  @Test
  void unreachableEntityFallsBackToTheNodesShareWithinTheAskTimeout() throws Exception {
    RateLimits limits = RateLimits.get(system);
    long start = System.nanoTime();
    List<CompletableFuture<RateDecision>> waiting = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      waiting.add(limits.acquire("key-f", EndpointClass.READS).toCompletableFuture());
    }
    List<RateDecision> decisions = new ArrayList<>();
    for (CompletableFuture<RateDecision> f : waiting) {
      decisions.add(f.get(5, TimeUnit.SECONDS));
    }
    long waitedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertTrue(waitedMillis >= 250 && waitedMillis < 3000, "answered after the ask timeout: " + waitedMillis + " ms");
    assertEquals(5, decisions.stream().filter(RateDecision::allowed).count(),
        "one node of a cluster it cannot see: its share is the whole limit");
    RateDecision refused = decisions.stream().filter(d -> !d.allowed()).findFirst().orElseThrow();
    assertEquals("5 per 1 minute", refused.description());
    assertTrue(refused.retryAfter().toSeconds() >= 1 && refused.retryAfter().toSeconds() <= 12, refused.toString());

    // While falling back, answers come at once, from the local bucket.
    RateDecision next = limits.acquire("key-f", EndpointClass.READS).toCompletableFuture().get(100, TimeUnit.MILLISECONDS);
    assertFalse(next.allowed());
  }

  @Test
  void anUnlimitedClassNeverAsks() throws Exception {
    RateLimits limits = RateLimits.get(system);
    // admin keeps the shipped limits, reads-like; but a class with both windows off is answered at once.
    RateLimitSettings s = limits.settings();
    assertFalse(s.limitsOf(EndpointClass.ADMIN).isEmpty());
    ActorSystem<Void> unlimited = LimiterSystems.start(Map.of(
        "troupe.rate-limits.per-minute", 0, "troupe.rate-limits.per-hour", 0), false);
    try {
      RateDecision d = RateLimits.get(unlimited).acquire("key-u", EndpointClass.READS)
          .toCompletableFuture().get(50, TimeUnit.MILLISECONDS);
      assertTrue(d.allowed());
    } finally {
      LimiterSystems.stop(unlimited);
    }
  }
}
