package io.troupe.bench;

import io.troupe.http.NodeProcess;
import io.troupe.runtime.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Many SSE streams on one node: a real node process (the packaged jar, embedded PostgreSQL) and
 * this program as its clients. It opens {@code bench.streams} topic streams (10,000) spread over
 * {@code bench.topics} topics (1,000), measures the node's live heap (after a full GC, from
 * {@code jcmd GC.class_histogram}) and threads before and with the streams open, then publishes
 * {@code bench.rate} messages/s (100, to random topics: with 10 streams per topic that is about
 * 1,000 deliveries/s) over HTTP for {@code bench.seconds} (20) and reports the delivery latency
 * from each message's scheduled publish time to its arrival on each stream. Not a test: run it
 * with {@code bench/stream-benchmark.sh} (see BENCHMARKS.md); it exits by itself.
 */
public final class StreamBenchmark {

  private StreamBenchmark() {}

  public static void main(String[] args) {
    BenchMain.run(Duration.ofMinutes(10), () -> run());
  }

  private static void run() throws Exception {
    int streams = Integer.getInteger("bench.streams", 10_000);
    int topics = Integer.getInteger("bench.topics", 1_000);
    int rate = Integer.getInteger("bench.rate", 100);
    int seconds = Integer.getInteger("bench.seconds", 20);
    Path work = Files.createTempDirectory("troupe-stream-bench");
    TestNodes.Ports ports = TestNodes.Ports.free();
    System.out.printf("machine: %d cores; load average at start: %s%n", Runtime.getRuntime().availableProcessors(),
        Probe.loadAverage());
    // The node's heap as deployed by default would be the JVM's; 1 GB keeps the run comparable.
    List<String> jvm = List.of("-Xmx1g", "-XX:+UseParallelGC", "-Dpekko.http.server.max-connections=" + (streams + 1000),
        "-Dtroupe.broker.max-streams=" + (streams + 1000), "-Dtroupe.broker.max-streams-per-key=" + (streams + 1000),
        "-Dtroupe.quotas.sse-streams=" + (streams + 1000), "-Dtroupe.quotas.topics=" + (topics + 1000));
    try (NodeProcess node = NodeProcess.start(work.resolve("data"), ports, Map.of(), work.resolve("node.log"), jvm)) {
      node.awaitReady(Duration.ofSeconds(120));
      long pid = node.process.pid();
      AtomicInteger threadNo = new AtomicInteger();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bench-client-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
          })).build();
      String base = "http://127.0.0.1:" + ports.http();
      for (int t = 0; t < topics; t++) {
        send(http, publish(base, t, 0)).join();
      }
      long heapBefore = liveHeap(pid);
      int threadsBefore = threads(pid);
      Map<String, Long> histogramBefore = lastHistogram;
      System.out.printf("node pid %d: live heap %,d bytes, %d threads, with %d topics and no stream%n", pid, heapBefore,
          threadsBefore, topics);

      Latencies latencies = new Latencies();
      AtomicInteger open = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      Semaphore opening = new Semaphore(200);
      long openStart = System.nanoTime();
      for (int s = 0; s < streams; s++) {
        opening.acquire();
        String topic = "bench-stream-" + (s % topics);
        HttpRequest get = HttpRequest.newBuilder(URI.create(base + "/api/v1/topics/" + topic + "/stream"))
            .header("Authorization", "Bearer " + TestNodes.ADMIN_TOKEN).GET().build();
        http.sendAsync(get, info -> {
          if (info.statusCode() == 200) {
            open.incrementAndGet();
          } else {
            failed.incrementAndGet();
          }
          opening.release();
          return HttpResponse.BodySubscribers.fromLineSubscriber(new Arrivals(latencies));
        }).whenComplete((r, e) -> {
          if (e != null) {
            failed.incrementAndGet();
            opening.release();
          }
        });
      }
      opening.acquire(200);
      opening.release(200);
      System.out.printf("opened %d streams in %.1f s (%d failed)%n", open.get(), (System.nanoTime() - openStart) / 1e9,
          failed.get());
      long heapWith = liveHeap(pid);
      int threadsWith = threads(pid);
      System.out.printf("node: live heap %,d bytes, %d threads with %d streams open; largest growth:%n", heapWith,
          threadsWith, open.get());
      printGrowth(histogramBefore, Math.max(1, open.get()));

      System.out.printf("publishing %d msg/s to random topics for %d s%n", rate, seconds);
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
      long start = System.nanoTime();
      long period = 1_000_000_000L / rate;
      AtomicLong sent = new AtomicLong();
      AtomicInteger publishErrors = new AtomicInteger();
      ticker.scheduleAtFixedRate(() -> {
        long n = sent.getAndIncrement();
        long scheduled = start + n * period;
        int topic = (int) (Math.floorMod(n * 7919, topics));
        send(http, publish(base, topic, scheduled)).whenComplete((r, e) -> {
          if (e != null || r.statusCode() != 201) {
            publishErrors.incrementAndGet();
          }
        });
      }, 0, period, TimeUnit.NANOSECONDS);
      Thread.sleep(Duration.ofSeconds(seconds).toMillis());
      ticker.shutdownNow();
      Thread.sleep(2000);
      long[] sorted = latencies.sorted();
      System.out.println();
      System.out.println("=== results ===");
      System.out.printf("streams open         : %d (%d failed to open) over %d topics%n", open.get(), failed.get(), topics);
      System.out.printf("node live heap       : %,d -> %,d bytes = %,.0f bytes per stream (target < 20 KB)%n", heapBefore,
          heapWith, (heapWith - heapBefore) / (double) Math.max(1, open.get()));
      System.out.printf("node threads         : %d -> %d%n", threadsBefore, threadsWith);
      System.out.printf("published            : %d messages (%d errors); deliveries %d = %.0f/s%n", sent.get(),
          publishErrors.get(), sorted.length, sorted.length / (double) seconds);
      System.out.printf("delivery latency     : p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 < 100 ms)%n",
          SessionBenchmark.ms(sorted, 50), SessionBenchmark.ms(sorted, 99), SessionBenchmark.ms(sorted, 100));
      System.out.println("load average at end : " + Probe.loadAverage());
    }
  }

  private static HttpRequest publish(String base, int topic, long scheduledNanos) {
    return HttpRequest.newBuilder(URI.create(base + "/api/v1/topics/bench-stream-" + topic + "/messages"))
        .header("Authorization", "Bearer " + TestNodes.ADMIN_TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"sender\":\"bench\",\"messageType\":\"tick\",\"content\":{\"t\":"
            + scheduledNanos + "}}"))
        .build();
  }

  private static CompletableFuture<HttpResponse<String>> send(HttpClient http, HttpRequest request) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The last histogram read, by class: bytes of live objects. */
  private static Map<String, Long> lastHistogram = Map.of();

  /** Live objects of the node after a full GC, in bytes (the histogram's total line). */
  private static long liveHeap(long pid) throws Exception {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes());
    jcmd.waitFor(60, TimeUnit.SECONDS);
    Map<String, Long> byClass = new java.util.HashMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (line.startsWith("Total")) {
        lastHistogram = byClass;
        return Long.parseLong(f[2]);
      }
      if (f.length >= 4 && f[0].endsWith(":")) {
        byClass.put(f[3], Long.parseLong(f[2]));
      }
    }
    throw new IllegalStateException("no histogram total from jcmd: " + out.substring(0, Math.min(400, out.length())));
  }

  /** The classes whose live bytes grew most from {@code before} to the last histogram, per stream. */
  private static void printGrowth(Map<String, Long> before, int streams) {
    lastHistogram.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(15)
        .forEach(e -> System.out.printf("  %,8.0f bytes/stream  %s%n", e.getValue() / (double) streams, e.getKey()));
  }

  private static int threads(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("Threads:")) {
        return Integer.parseInt(line.substring(8).trim());
      }
    }
    return -1;
  }

  /** Delivery latencies in nanoseconds, from the message's scheduled send time. */
  private static final class Latencies {
    private final ConcurrentLinkedQueue<Long> all = new ConcurrentLinkedQueue<>();

    void add(long nanos) {
      all.add(nanos);
    }

    long[] sorted() {
      return all.stream().mapToLong(Long::longValue).sorted().toArray();
    }
  }

  /** Reads a stream's data lines; a message with a scheduled time ("t" > 0) records its latency. */
  private static final class Arrivals implements Flow.Subscriber<String> {
    private final Latencies latencies;

    Arrivals(Latencies latencies) {
      this.latencies = latencies;
    }

    @Override public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override public void onNext(String line) {
      int at = line.startsWith("data:") ? line.indexOf("\"t\":") : -1;
      if (at > 0) {
        int end = at + 4;
        while (end < line.length() && Character.isDigit(line.charAt(end))) {
          end++;
        }
        long t = Long.parseLong(line.substring(at + 4, end));
        if (t > 0) {
          latencies.add(System.nanoTime() - t);
        }
      }
    }

    @Override public void onError(Throwable throwable) {}

    @Override public void onComplete() {}
  }
}
