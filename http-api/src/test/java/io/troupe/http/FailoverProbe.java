package io.troupe.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * When one kind of entity answers again after a crash: sends one request every {@link #EVERY}
 * from the kill on, without waiting for the ones before, until {@link #RUN} requests in a row (by
 * send order) were served within {@link #PROMPT}, i.e. by the edge's first ask. The figure is the
 * answer time of the first of that run: from then on the entity answers where it now lives.
 * Requests sent earlier are mostly served too, later: their first ask went to the dead node and
 * the edge asked again after its ask timeout (5 s); a probe that waited for each answer before
 * sending the next would measure that timeout, not the failover. The slowest answer of any
 * request is reported beside it. "Within the first ask" rather than "fast": on a loaded machine
 * the survivors' catching up (every waiting re-ask fires at once) slows answers for seconds,
 * which is load, not failover.
 */
final class FailoverProbe {

  static final Duration EVERY = Duration.ofMillis(200);
  /** Successes in a row (by send order) that end the probe: 2 s of requests all served. */
  static final int RUN = 10;
  /** What "served" means in the run: a 2xx within this long, below the edge's 5 s ask timeout (troupe.http.ask-timeout). */
  static final Duration PROMPT = Duration.ofSeconds(4);

  /** One probe request: answers the nanoTime of its 2xx, or null when it failed. */
  interface Attempt extends Callable<Long> {}

  /** Seconds from {@code killAt} until the first answer of the unbroken run, and when that request was sent. */
  record Answering(double sentAfter, double answeredAfter, int failedBefore, double slowest, String timeline) {}

  private record Sent(long at, Future<Long> answer) {}

  private FailoverProbe() {}

  static Answering run(long killAt, Attempt attempt, ExecutorService pool, Duration limit) throws Exception {
    long deadline = killAt + limit.toNanos();
    List<Sent> sent = new ArrayList<>();
    int checked = 0; // requests before this index have answered
    int runStart = 0;
    int failed = 0;
    while (System.nanoTime() < deadline) {
      long now = System.nanoTime();
      try {
        sent.add(new Sent(now, pool.submit(attempt)));
      } catch (RejectedExecutionException full) {
        failed++; // the pool is bounded: a request that could not be sent is not a success either
        runStart = sent.size();
      }
      while (checked < sent.size() && sent.get(checked).answer().isDone()) {
        Sent s = sent.get(checked);
        Long answeredAt = s.answer().get();
        if (answeredAt == null) {
          failed++;
        }
        if (answeredAt == null || answeredAt - s.at() > PROMPT.toNanos()) {
          runStart = checked + 1;
        }
        checked++;
      }
      if (checked - runStart >= RUN) {
        Sent first = sent.get(runStart);
        long slowest = 0;
        for (Sent s : sent) {
          Long answeredAt = s.answer().isDone() ? s.answer().get() : null;
          slowest = Math.max(slowest, (answeredAt != null ? answeredAt : System.nanoTime()) - s.at());
        }
        StringBuilder timeline = new StringBuilder(); // "sent s: answer latency s" of every request until the run
        for (int i = 0; i <= runStart && i < sent.size(); i++) {
          Long answeredAt = sent.get(i).answer().get();
          timeline.append(String.format(" %.1f:%s", (sent.get(i).at() - killAt) / 1e9,
              answeredAt == null ? "x" : String.format("%.1f", (answeredAt - sent.get(i).at()) / 1e9)));
        }
        return new Answering((first.at() - killAt) / 1e9, (first.answer().get() - killAt) / 1e9, failed, slowest / 1e9,
            timeline.toString().trim());
      }
      Thread.sleep(Math.max(1, (now + EVERY.toNanos() - System.nanoTime()) / 1_000_000));
    }
    throw new AssertionError("not " + RUN + " answers in a row within " + limit + " of the kill");
  }
}
