package io.troupe.bench;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;

/**
 * Throughput of one kind of HTTP request: {@code concurrency} keep-alive connections (HTTP/1.1 on
 * loopback), each sending its next request as soon as the last one is answered, for a warm-up and
 * a measured window. Counts the answers that arrive inside the window; latency is send to
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
   * Runs {@code concurrency} connections on {@link NioHttpLoad}; {@code request} makes the n-th
   * request's bytes (n counts over all connections), and an answer with {@code expectedStatus}
   * counts as served.
   */
  static Result run(int port, int concurrency, LongFunction<byte[]> request, int expectedStatus,
                    Duration warmup, Duration measure) throws InterruptedException {
    LongAdder ok = new LongAdder();
    LongAdder failed = new LongAdder();
    Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Long> nanos = new ConcurrentLinkedQueue<>();
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long measureTo = measureFrom + measure.toNanos();
    // "bench-client": the probe counts this thread's CPU as the load generator's, not the node's.
    Thread driver = new Thread(() -> {
      try {
        NioHttpLoad.run(port, concurrency, request, measureTo, (status, sent, done) -> {
          if (done < measureFrom || done >= measureTo) {
            return;
          }
          if (status == expectedStatus) {
            ok.increment();
            nanos.add(done - sent);
          } else {
            failed.increment();
            failures.computeIfAbsent(status < 0 ? "connection" : "HTTP " + status, k -> new LongAdder()).increment();
          }
        });
      } catch (java.io.IOException e) {
        failures.computeIfAbsent("load generator: " + e, k -> new LongAdder()).increment();
      }
    }, "bench-client-nio");
    driver.start();
    driver.join(warmup.plus(measure).toMillis() + 30_000);
    long[] sample = nanos.stream().mapToLong(Long::longValue).toArray();
    Map<String, Long> failureCounts = new TreeMap<>();
    failures.forEach((k, v) -> failureCounts.put(k, v.sum()));
    return new Result(ok.sum(), failed.sum(), failureCounts, measure.toNanos() / 1e9,
        SpectrumWorkload.Latencies.of(sample, sample.length));
  }
}
