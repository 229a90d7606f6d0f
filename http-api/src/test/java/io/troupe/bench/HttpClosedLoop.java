package io.troupe.bench;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;

/**
 * Throughput of one kind of HTTP request: {@code concurrency} lanes (one connection each, HTTP/1.1
 * on loopback), each sending its next request as soon as the last one is answered, for a warm-up
 * and a measured window. Counts the answers that arrive inside the window; latency is send to
 * complete response (a closed loop measures capacity, not latency under a fixed load: that is
 * {@link HttpLatencyBenchmark}'s job).
 */
final class HttpClosedLoop {

  record Result(long ok, long failed, Map<String, Long> failures, double seconds, SpectrumWorkload.Latencies latencies) {
    double rate() {
      return ok / seconds;
    }

    String describe() {
      return String.format("%,d answered in %.1f s = %,.0f req/s, %d failed%s; latency p50 %.2f ms, p99 %.2f ms",
          ok, seconds, rate(), failed, failures.isEmpty() ? "" : " " + failures,
          latencies.percentileMicros(50) / 1e3, latencies.percentileMicros(99) / 1e3);
    }
  }

  private HttpClosedLoop() {}

  /**
   * Runs {@code concurrency} lanes; {@code request} makes the n-th request (n counts over all
   * lanes), and an answer with {@code expectedStatus} counts as served.
   */
  static Result run(HttpClient client, int concurrency, LongFunction<HttpRequest> request, int expectedStatus,
                    Duration warmup, Duration measure) throws InterruptedException {
    AtomicLong next = new AtomicLong();
    LongAdder ok = new LongAdder();
    LongAdder failed = new LongAdder();
    Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Long> nanos = new ConcurrentLinkedQueue<>();
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long measureTo = measureFrom + measure.toNanos();
    CountDownLatch lanesDone = new CountDownLatch(concurrency);

    class Lane {
      void send() {
        if (System.nanoTime() >= measureTo) {
          lanesDone.countDown();
          return;
        }
        long sent = System.nanoTime();
        client.sendAsync(request.apply(next.getAndIncrement()), HttpResponse.BodyHandlers.ofByteArray())
            .whenComplete((response, error) -> {
              long done = System.nanoTime();
              if (done >= measureFrom && done < measureTo) {
                if (error == null && response.statusCode() == expectedStatus) {
                  ok.increment();
                  nanos.add(done - sent);
                } else {
                  failed.increment();
                  String kind = error != null ? error.getClass().getSimpleName() : "HTTP " + response.statusCode();
                  failures.computeIfAbsent(kind, k -> new LongAdder()).increment();
                }
              }
              send();
            });
      }
    }
    for (int i = 0; i < concurrency; i++) {
      new Lane().send();
    }
    // Each request times out after 10 s (see the callers' requests), so the lanes end soon after the window.
    lanesDone.await(measure.plus(warmup).toSeconds() + 30, TimeUnit.SECONDS);
    long[] sample = nanos.stream().mapToLong(Long::longValue).toArray();
    Map<String, Long> failureCounts = new TreeMap<>();
    failures.forEach((k, v) -> failureCounts.put(k, v.sum()));
    return new Result(ok.sum(), failed.sum(), failureCounts, measure.toNanos() / 1e9,
        SpectrumWorkload.Latencies.of(sample, sample.length));
  }
}
