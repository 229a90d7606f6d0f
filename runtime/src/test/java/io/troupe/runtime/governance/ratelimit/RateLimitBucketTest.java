package io.troupe.runtime.governance.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Token bucket arithmetic: bursts, continuous refill, two buckets at once, and Retry-After. */
class RateLimitBucketTest {

  private static final long SECOND = Duration.ofSeconds(1).toNanos();
  private static final long T0 = 1_000 * SECOND; // any nanoTime origin

  @Test
  void aFullBucketAllowsABurstUpToItsLimitThenRefillsContinuously() {
    Buckets b = Buckets.full(List.of(new Limit(10, Limit.MINUTE)), T0);
    Buckets.Taken burst = b.take(12, T0);
    assertEquals(10, burst.granted(), "a burst takes at most the limit");
    // 10 per minute refills one token every 6 s.
    assertEquals(6 * SECOND, burst.retryAfterNanos(), 1000);
    assertEquals(0, burst.next().take(1, T0 + 5 * SECOND).granted());
    Buckets.Taken after6 = burst.next().take(1, T0 + 6 * SECOND);
    assertEquals(1, after6.granted());
    assertEquals(10, burst.next().take(100, T0 + 10 * 60 * SECOND).granted(), "never refills past the limit");
  }

  @Test
  void aRequestTakesFromBothBucketsAndTheSlowerOneDecidesRetryAfter() {
    Limit minute = new Limit(10, Limit.MINUTE);
    Limit hour = new Limit(15, Limit.HOUR);
    Buckets b = Buckets.full(List.of(minute, hour), T0);
    Buckets.Taken first = b.take(10, T0);
    assertEquals(10, first.granted());
    assertEquals(0, first.retryAfterNanos(), "all asked for was granted");
    // A minute later the minute bucket is full again, but the hour bucket holds 5 (+1/4 refilled:
    // 15 per hour is one token every 240 s).
    Buckets.Taken second = first.next().take(10, T0 + 60 * SECOND);
    assertEquals(5, second.granted(), "the hour bucket limits the second minute");
    assertEquals(1, second.refusedBy(), "the hour limit refused");
    // The hour bucket now holds 1/4 of a token: 180 s to the next one.
    assertEquals(180 * SECOND, second.retryAfterNanos(), SECOND / 1000);
    RateDecision refused = RateDecision.refused(second.retryAfterNanos(), hour);
    assertFalse(refused.allowed());
    assertEquals(Duration.ofSeconds(180), refused.retryAfter());
    assertEquals("15 per 1 hour", refused.description());
  }

  @Test
  void whenBothBucketsAreEmptyTheLongerWaitIsReported() {
    Buckets b = Buckets.full(List.of(new Limit(2, Limit.MINUTE), new Limit(2, Limit.HOUR)), T0);
    Buckets.Taken t = b.take(3, T0);
    assertEquals(2, t.granted());
    assertEquals(1, t.refusedBy());
    assertEquals(1800 * SECOND, t.retryAfterNanos(), SECOND / 1000);
  }

  @Test
  void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne() {
    Limit limit = new Limit(10, Limit.MINUTE);
    assertEquals(Duration.ofSeconds(1), RateDecision.refused(0, limit).retryAfter());
    assertEquals(Duration.ofSeconds(1), RateDecision.refused(SECOND / 10, limit).retryAfter());
    assertEquals(Duration.ofSeconds(2), RateDecision.refused(SECOND + 1, limit).retryAfter());
    assertEquals(Duration.ofSeconds(42), RateDecision.refused(42 * SECOND, limit).retryAfter());
    assertEquals("10 per 1 minute", RateDecision.refused(SECOND, limit).description());
    assertEquals(42, RateDecision.refused(41 * SECOND + 5, limit).retryAfterSeconds());
  }

  @Test
  void givenBackTokensReturnToEveryBucketCappedAtTheLimit() {
    Buckets b = Buckets.full(List.of(new Limit(10, Limit.MINUTE), new Limit(100, Limit.HOUR)), T0);
    Buckets.Taken t = b.take(10, T0);
    Buckets back = t.next().giveBack(4, T0);
    assertEquals(4, back.take(10, T0).granted());
    assertTrue(b.giveBack(5, T0).isFull(T0), "giving back to a full bucket leaves it full");
    assertFalse(back.isFull(T0));
    assertTrue(back.isFull(T0 + 2 * 3600 * SECOND), "full again once refilled");
  }

  @Test
  void aBucketRefilledToExactlyOneTokenGrantsIt() {
    Limit limit = new Limit(3, Duration.ofSeconds(1)); // one token every 1/3 s: not exact in binary
    Buckets.Taken t = Buckets.full(List.of(limit), T0).take(3, T0);
    long wait = t.next().take(1, T0).retryAfterNanos();
    assertEquals(1, t.next().take(1, T0 + wait).granted());
  }

  @Test
  void describesLimitsAsUsersReadThem() {
    assertEquals("10 per 1 minute", new Limit(10, Limit.MINUTE).describe());
    assertEquals("300 per 1 hour", new Limit(300, Limit.HOUR).describe());
    assertEquals(new Limit(34, Limit.MINUTE), new Limit(100, Limit.MINUTE).shareOf(3));
    assertEquals(new Limit(1, Limit.MINUTE), new Limit(2, Limit.MINUTE).shareOf(3));
  }
}
