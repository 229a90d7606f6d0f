package io.troupe.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publish latency over HTTP at a fixed rate: POST /api/v1/topics/{t}/messages on loopback, sent
 * open-loop by {@link NioHttpLoad#runAtRate} with a bound on requests in flight. Latency runs from
 * the request's scheduled send time to its complete response, so a stalled server is not hidden.
 */
final class HttpLatencyBenchmark {

  record Result(int rate, double seconds, long[] sortedMicros, long errors, long skipped, String firstError) {
    long percentile(double p) {
      if (sortedMicros.length == 0) {
        return -1;
      }
      int index = (int) Math.ceil(p / 100.0 * sortedMicros.length) - 1;
      return sortedMicros[Math.max(0, Math.min(sortedMicros.length - 1, index))];
    }
  }

  private HttpLatencyBenchmark() {}

  static Result run(int port, int rate, int topics, int maxInflight, Duration warmup, Duration measure)
      throws InterruptedException {
    byte[][] bodies = new byte[topics][];
    String body = "{\"sender\":\"bench\",\"messageType\":\"observation\",\"content\":"
        + ShardedPublishBenchmark.content(0) + "}";
    for (int t = 0; t < topics; t++) {
      bodies[t] = NioHttpLoad.request("POST", "/api/v1/topics/http-bench-" + t + "/messages", port,
          io.troupe.runtime.TestNodes.ADMIN_TOKEN, body);
    }
    ConcurrentLinkedQueue<Long> micros = new ConcurrentLinkedQueue<>();
    AtomicLong errors = new AtomicLong();
    AtomicLong skipped = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long measureTo = measureFrom + measure.toNanos();
    // "bench-client": the probe counts this thread's CPU as the load generator's.
    Thread driver = new Thread(() -> {
      try {
        NioHttpLoad.runAtRate(port, maxInflight, rate, n -> bodies[(int) (n % topics)], measureTo,
            (status, scheduled, done) -> {
              if (scheduled < measureFrom) {
                return;
              }
              if (status == 0) {
                skipped.incrementAndGet();
              } else if (status != 201) {
                errors.incrementAndGet();
                firstError.compareAndSet(null, status < 0 ? "connection failed" : "HTTP " + status);
              } else {
                micros.add((done - scheduled) / 1_000);
              }
            });
      } catch (java.io.IOException e) {
        firstError.compareAndSet(null, "load generator: " + e);
      }
    }, "bench-client-rate");
    driver.start();
    driver.join(warmup.plus(measure).toMillis() + 30_000);
    long[] sorted = micros.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    return new Result(rate, measure.toNanos() / 1e9, sorted, errors.get(), skipped.get(), firstError.get());
  }
}
