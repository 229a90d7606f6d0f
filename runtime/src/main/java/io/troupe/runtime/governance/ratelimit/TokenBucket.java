package io.troupe.runtime.governance.ratelimit;

/**
 * A token bucket for one {@link Limit}: it holds at most {@code limit.count()} tokens and refills
 * continuously at {@code count} per {@code window}, so a key may burst up to the limit and then
 * goes on at the limit's average rate. Immutable; times are readings of the node's clock in nanoseconds
 * ({@link io.troupe.runtime.node.NodeClock#epochNanos}).
 */
public record TokenBucket(Limit limit, double tokens, long atNanos) {

  /** Absorbs floating-point error, so a bucket refilled to exactly 1 token counts as holding 1. */
  private static final double EPSILON = 1e-9;

  public static TokenBucket full(Limit limit, long nowNanos) {
    return new TokenBucket(limit, limit.count(), nowNanos);
  }

  private double tokensPerNano() {
    return limit.count() / (double) limit.window().toNanos();
  }

  /** The bucket as of {@code nowNanos}, refilled for the time passed (never above the limit). */
  public TokenBucket at(long nowNanos) {
    if (nowNanos <= atNanos) {
      return this;
    }
    double refilled = Math.min(limit.count(), tokens + (nowNanos - atNanos) * tokensPerNano());
    return new TokenBucket(limit, refilled, nowNanos);
  }

  /** Whole tokens that can be taken now. */
  public long available() {
    return (long) Math.floor(tokens + EPSILON);
  }

  public TokenBucket minus(long taken) {
    return new TokenBucket(limit, tokens - taken, atNanos);
  }

  /** Gives back tokens that were taken but not used; never above the limit. */
  public TokenBucket plus(long returned) {
    return new TokenBucket(limit, Math.min(limit.count(), tokens + returned), atNanos);
  }

  /** How long until the bucket holds one whole token (0 when it does). */
  public long nanosUntilOneToken() {
    if (available() >= 1) {
      return 0;
    }
    return (long) Math.ceil((1.0 - EPSILON - tokens) / tokensPerNano());
  }

  public boolean isFull() {
    return tokens + EPSILON >= limit.count();
  }
}
