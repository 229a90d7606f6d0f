package io.troupe.runtime.service;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * At most {@code limit} requests waiting on one entity at once, per node: one more is refused
 * ({@link Refused#busy}) before anything is asked, so it changes nothing.
 *
 * <p>Why per entity: an entity takes its commands one at a time (a topic journals each publish
 * before the next), so requests to one hot entity queue behind each other however idle the rest
 * of the node is. The edge's node-wide bound (troupe.http.max-in-flight) admits up to its full
 * count for that one entity, and each then waits count ÷ the entity's rate: seconds, up to the
 * ask timeouts (measured by OverloadTest). Bounding each entity keeps that wait short and refuses
 * only the hot entity's callers; the node-wide bound still covers a node that is busy everywhere.
 * Keys live only while requests are pending, so the map holds at most as many keys as requests in
 * flight.
 */
public final class PendingBound {

  private final int limit;
  private final String what;
  private final Runnable onRefused;
  private final ConcurrentHashMap<String, Integer> pending = new ConcurrentHashMap<>();

  /**
   * {@code what} names the bound in refusals (e.g. "publishes waiting on topic", followed by the
   * key); {@code onRefused} runs at each refusal (a counter).
   */
  public PendingBound(int limit, String what, Runnable onRefused) {
    this.limit = limit;
    this.what = what;
    this.onRefused = onRefused;
  }

  /** {@code request}, run when fewer than {@code limit} are pending for {@code key}; else a refusal. */
  public <T> CompletionStage<T> run(String key, Supplier<CompletionStage<T>> request) {
    boolean[] admitted = {false};
    pending.compute(key, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= limit) {
        return now;
      }
      admitted[0] = true;
      return now + 1;
    });
    if (!admitted[0]) {
      onRefused.run();
      return CompletableFuture.failedFuture(Refused.busy(limit + " " + what + " '" + key
          + "' on this node already; retry shortly", 1));
    }
    CompletionStage<T> answer;
    try {
      answer = request.get();
    } catch (RuntimeException e) {
      release(key);
      throw e;
    }
    return answer.whenComplete((result, failure) -> release(key));
  }

  /** Requests pending for {@code key} now (0 when none). */
  public int pending(String key) {
    return pending.getOrDefault(key, 0);
  }

  private void release(String key) {
    pending.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
  }
}
