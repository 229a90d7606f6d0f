package io.troupe.runtime.service;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Bounds the requests waiting on one entity at once, per node: a request is refused
 * ({@link Refused#busy}) before anything is asked, so it changes nothing, when {@code limit} are
 * pending for its key already, or when at least {@value #ALWAYS_ADMITTED} are pending and the
 * last one answered for that key waited longer than {@code maxWait}.
 *
 * <p>Why per entity: an entity takes its commands one at a time (a topic journals each publish
 * before the next), so requests to one hot entity queue behind each other however idle the rest
 * of the node is. The edge's node-wide bound (troupe.http.max-in-flight) admits up to its full
 * count for that one entity, and each then waits count ÷ the entity's rate: seconds, up to the
 * ask timeouts (measured by OverloadIT). Why the wait as well as the count: the entity's rate
 * is not known in advance and falls when the node is busy (refusing a flood costs CPU too), so a
 * fixed count alone waits 64 ÷ 70/s ≈ 1 s on a loaded 2-core machine; the last answer's wait
 * measures the queue as it is, and refusing while it is long keeps the wait near {@code maxWait}.
 * A few are always admitted, so a key whose queue drained is measured again (8: a fresh entity's
 * first answer includes its start, which on a loaded machine alone passes the wait, and a handful
 * of concurrent clients of one new topic is no overload; 4 refused 8 such clients in a full run). Keys live only while
 * requests are pending: the map holds at most as many keys as requests in flight.
 */
public final class PendingBound {

  /** Pending requests of one key that are never refused for their wait, only for the count. */
  static final int ALWAYS_ADMITTED = 8;

  private final int limit;
  private final long maxWaitNanos;
  private final String what;
  private final Runnable onRefused;
  private final ConcurrentHashMap<String, Queue> queues = new ConcurrentHashMap<>();

  /** One key's pending count and how long its last answered request waited. */
  private record Queue(int pending, long lastWaitNanos) {}

  /**
   * {@code what} names the bound in refusals (e.g. "publishes are waiting on topic", then the
   * key); {@code onRefused} runs at each refusal (a counter).
   */
  public PendingBound(int limit, Duration maxWait, String what, Runnable onRefused) {
    this.limit = limit;
    this.maxWaitNanos = maxWait.toNanos();
    this.what = what;
    this.onRefused = onRefused;
  }

  /** {@code request}, run when the key's queue is within the bounds; else a refusal, and nothing runs. */
  public <T> CompletionStage<T> run(String key, Supplier<CompletionStage<T>> request) {
    String[] refusal = {null};
    queues.compute(key, (k, q) -> {
      Queue now = q == null ? new Queue(0, 0) : q;
      if (now.pending() >= limit) {
        refusal[0] = limit + " " + what + " '" + key + "' on this node already";
        return now;
      }
      if (now.pending() >= ALWAYS_ADMITTED && now.lastWaitNanos() > maxWaitNanos) {
        refusal[0] = now.pending() + " " + what + " '" + key + "' on this node already, the last for "
            + now.lastWaitNanos() / 1_000_000 + " ms";
        return now;
      }
      return new Queue(now.pending() + 1, now.lastWaitNanos());
    });
    if (refusal[0] != null) {
      onRefused.run();
      return CompletableFuture.failedFuture(Refused.busy(refusal[0] + "; retry shortly", 1));
    }
    long start = System.nanoTime();
    CompletionStage<T> answer;
    try {
      answer = request.get();
    } catch (RuntimeException e) {
      release(key, System.nanoTime() - start);
      throw e;
    }
    return answer.whenComplete((result, failure) -> release(key, System.nanoTime() - start));
  }

  /** Requests pending for {@code key} now (0 when none). */
  public int pending(String key) {
    Queue q = queues.get(key);
    return q == null ? 0 : q.pending();
  }

  private void release(String key, long waitedNanos) {
    queues.computeIfPresent(key, (k, q) -> q.pending() <= 1 ? null : new Queue(q.pending() - 1, waitedNanos));
  }
}
