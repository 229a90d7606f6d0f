package io.troupe.runtime.governance.ratelimit;

import java.time.Duration;

/**
 * Whether one request may go ahead. When refused: {@code retryAfter}, whole seconds and at least
 * one, until the key may try again, and {@code description}, the limit that refused it as users
 * read it ("10 per 1 minute"). When allowed both are empty.
 */
public record RateDecision(boolean allowed, Duration retryAfter, String description) {

  public static final RateDecision ALLOWED = new RateDecision(true, Duration.ZERO, "");

  /** Refused for {@code waitNanos}, rounded up to whole seconds, at least 1 s. */
  public static RateDecision refused(long waitNanos, Limit limit) {
    return refused(waitNanos, limit.describe());
  }

  public static RateDecision refused(long waitNanos, String description) {
    long seconds = Math.max(1, (Math.max(0, waitNanos) + 999_999_999L) / 1_000_000_000L);
    return new RateDecision(false, Duration.ofSeconds(seconds), description);
  }

  /** For the {@code Retry-After} header. */
  public long retryAfterSeconds() {
    return retryAfter.toSeconds();
  }
}
