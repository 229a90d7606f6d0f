package io.troupe.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publish latency over HTTP at a fixed, moderate rate: POST /api/v1/topics/{t}/messages on
 * loopback, paced by a scheduler, with a bound on requests in flight. Latency runs from the
 * request's scheduled send time to its complete response, so a stalled server is not hidden.
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
    HttpClient client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    String body = "{\"sender\":\"bench\",\"messageType\":\"observation\",\"content\":"
        + ShardedPublishBenchmark.content(0) + "}";
    Semaphore permits = new Semaphore(maxInflight);
    ConcurrentLinkedQueue<Long> micros = new ConcurrentLinkedQueue<>();
    AtomicLong sent = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong skipped = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    long periodNanos = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long measureTo = measureFrom + measure.toNanos();

    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-http-ticker");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(() -> {
      long n = sent.getAndIncrement();
      long scheduled = start + n * periodNanos;
      if (scheduled >= measureTo) {
        return;
      }
      boolean measured = scheduled >= measureFrom;
      if (!permits.tryAcquire()) {
        if (measured) {
          skipped.incrementAndGet();
        }
        return;
      }
      HttpRequest request = HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/api/v1/topics/http-bench-" + (n % topics) + "/messages"))
          .timeout(Duration.ofSeconds(10))
          .header("Content-Type", "application/json")
          .header("Authorization", "Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN)
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
      client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
        long took = (System.nanoTime() - scheduled) / 1_000;
        permits.release();
        if (!measured) {
          return;
        }
        if (error != null || response.statusCode() != 201) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, error != null ? error.toString() : "HTTP " + response.statusCode());
        } else {
          micros.add(took);
        }
      });
    }, 0, periodNanos, TimeUnit.NANOSECONDS);

    // A little past the window, so the last scheduled send is not cut off by the shutdown.
    long waitNanos = measureTo + 4 * periodNanos - System.nanoTime();
    if (waitNanos > 0) {
      TimeUnit.NANOSECONDS.sleep(waitNanos);
    }
    ticker.shutdownNow();
    // Requests still in flight time out after 10 s at most.
    if (permits.tryAcquire(maxInflight, 15, TimeUnit.SECONDS)) {
      permits.release(maxInflight);
    }
    long[] sorted = micros.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    return new Result(rate, measure.toNanos() / 1e9, sorted, errors.get(), skipped.get(), firstError.get());
  }
}
