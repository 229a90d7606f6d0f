package io.troupe.runtime.governance.ratelimit;

import java.util.ArrayList;
import java.util.List;

/**
 * The token buckets of one key and endpoint class, one per configured limit (a minute and an
 * hour bucket): a request takes a token from every bucket, so it is admitted only when each
 * bucket has one. Immutable.
 */
public record Buckets(List<TokenBucket> buckets) {

  public Buckets {
    buckets = List.copyOf(buckets);
  }

  public static Buckets full(List<Limit> limits, long nowNanos) {
    return new Buckets(limits.stream().map(l -> TokenBucket.full(l, nowNanos)).toList());
  }

  /**
   * What taking up to {@code wanted} tokens gave: {@code granted} tokens (each taken from every
   * bucket) and the buckets after. When fewer than wanted were granted, {@code retryAfterNanos}
   * is how long until every bucket holds a token again and {@code refusedBy} the index of the
   * bucket that needs longest; otherwise 0 and -1.
   */
  public record Taken(long granted, Buckets next, long retryAfterNanos, int refusedBy) {}

  public Taken take(long wanted, long nowNanos) {
    List<TokenBucket> now = refilled(nowNanos);
    long available = Long.MAX_VALUE;
    for (TokenBucket b : now) {
      available = Math.min(available, b.available());
    }
    long granted = Math.max(0, Math.min(wanted, available));
    List<TokenBucket> next = new ArrayList<>(now.size());
    for (TokenBucket b : now) {
      next.add(b.minus(granted));
    }
    if (granted == wanted) {
      return new Taken(granted, new Buckets(next), 0, -1);
    }
    long retryAfter = 0;
    int refusedBy = 0;
    for (int i = 0; i < next.size(); i++) {
      long wait = next.get(i).nanosUntilOneToken();
      if (wait > retryAfter) {
        retryAfter = wait;
        refusedBy = i;
      }
    }
    return new Taken(granted, new Buckets(next), retryAfter, refusedBy);
  }

  /** Gives back tokens that were taken but not used (to every bucket, each capped at its limit). */
  public Buckets giveBack(long tokens, long nowNanos) {
    return new Buckets(refilled(nowNanos).stream().map(b -> b.plus(tokens)).toList());
  }

  /** Full buckets are indistinguishable from fresh ones: the holder may stop without losing anything. */
  public boolean isFull(long nowNanos) {
    return refilled(nowNanos).stream().allMatch(TokenBucket::isFull);
  }

  private List<TokenBucket> refilled(long nowNanos) {
    return buckets.stream().map(b -> b.at(nowNanos)).toList();
  }
}
