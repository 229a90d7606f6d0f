package io.troupe.runtime.governance.ratelimit;

import java.time.Duration;

/** One limit: at most {@code count} requests per {@code window} (a minute or an hour). */
public record Limit(long count, Duration window) {

  public static final Duration MINUTE = Duration.ofMinutes(1);
  public static final Duration HOUR = Duration.ofHours(1);

  public Limit {
    if (count < 1) {
      throw new IllegalArgumentException("a limit allows at least 1 request, was " + count);
    }
    if (window.isZero() || window.isNegative()) {
      throw new IllegalArgumentException("a limit's window must be positive, was " + window);
    }
  }

  /** As users read it, e.g. "10 per 1 minute". */
  public String describe() {
    return count + " per " + windowText();
  }

  /** This limit's share on one of {@code nodes} nodes, rounded up (at least 1). */
  Limit shareOf(int nodes) {
    return new Limit(Math.max(1, (count + nodes - 1) / Math.max(1, nodes)), window);
  }

  private String windowText() {
    if (window.equals(MINUTE)) {
      return "1 minute";
    }
    if (window.equals(HOUR)) {
      return "1 hour";
    }
    return window.toSeconds() + " seconds";
  }
}
