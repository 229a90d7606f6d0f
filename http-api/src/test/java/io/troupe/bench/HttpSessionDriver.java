package io.troupe.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

/**
 * Sessions over the real edge, as a user runs them: {@code POST /api/v1/agents/{agent}/sessions}
 * with an API key, then {@code GET /api/v1/sessions/{id}/events} (Server-Sent Events) read until
 * its {@code done} event. A fixed number of such clients run at once; each starts its next
 * session when the last one is done, until the window ends. Every answer that is not a 202 and a
 * stream ending in {@code done} is a failure, counted and reported (a 503 too: the target is none).
 *
 * <p>The client is the JDK's, HTTP/1.1, fully asynchronous (the SSE body goes through a line
 * subscriber: no thread per stream), on two threads named {@code bench-client-*} so that
 * {@link Probe} can subtract the load generator's CPU from this JVM's.
 */
final class HttpSessionDriver {

  /** End-to-end latencies (POST sent → done read) of sessions done inside the window, sorted. */
  record Result(long completed, long failed, String firstFailure, double seconds, long[] endToEnd, long[] startAnswer) {
    double perSecond() {
      return completed / seconds;
    }
  }

  private static final Pattern SESSION_ID = Pattern.compile("\"sessionId\"\\s*:\\s*\"([^\"]+)\"");

  private HttpSessionDriver() {}

  static Result run(int port, String key, String agent, int clients, Duration warmup, Duration measure)
      throws InterruptedException {
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "bench-client-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
        .connectTimeout(Duration.ofSeconds(5)).build();
    long from = System.nanoTime() + warmup.toNanos();
    long to = from + measure.toNanos();
    Run run = new Run(http, "http://127.0.0.1:" + port, key, agent, from, to, new CountDownLatch(clients));
    for (int i = 0; i < clients; i++) {
      run.next();
    }
    boolean drained = run.idle.await(warmup.plus(measure).toSeconds() + 90, TimeUnit.SECONDS);
    executor.shutdownNow();
    if (!drained) {
      run.fail("sessions still open 90 s after the window");
    }
    run.kinds.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get())).limit(8)
        .forEach(e -> System.out.printf("  failed %,d x: %s%n", e.getValue().get(), e.getKey()));
    return new Result(run.completed.get(), run.failed.get(), run.firstFailure.get(), measure.toNanos() / 1e9,
        run.endToEnd.build().sorted().toArray(), run.startAnswer.build().sorted().toArray());
  }

  private static final class Run {
    final HttpClient http;
    final String base;
    final String key;
    final String agent;
    final long from;
    final long to;
    final CountDownLatch idle;
    final AtomicLong completed = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicReference<String> firstFailure = new AtomicReference<>();
    final LongStream.Builder endToEnd = LongStream.builder();
    final LongStream.Builder startAnswer = LongStream.builder();

    Run(HttpClient http, String base, String key, String agent, long from, long to, CountDownLatch idle) {
      this.http = http;
      this.base = base;
      this.key = key;
      this.agent = agent;
      this.from = from;
      this.to = to;
      this.idle = idle;
    }

    /** One client's next session, or its end once the window is over. */
    void next() {
      if (System.nanoTime() >= to) {
        idle.countDown();
        return;
      }
      long start = System.nanoTime();
      HttpRequest post = HttpRequest.newBuilder(URI.create(base + "/api/v1/agents/" + agent + "/sessions"))
          .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"go\"}"))
          .build();
      http.sendAsync(post, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
        if (error != null || response.statusCode() != 202) {
          fail(error != null ? "start: " + error : "start: HTTP " + response.statusCode() + " " + response.body());
          afterRetryAfter(response);
          return;
        }
        long answered = System.nanoTime();
        Matcher m = SESSION_ID.matcher(response.body());
        if (!m.find()) {
          fail("start: no sessionId in " + response.body());
          next();
          return;
        }
        follow(m.group(1), start, answered);
      });
    }

    private void follow(String sessionId, long start, long answered) {
      HttpRequest get = HttpRequest.newBuilder(URI.create(base + "/api/v1/sessions/" + sessionId + "/events"))
          .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key).header("Accept", "text/event-stream")
          .GET().build();
      DoneWatcher watcher = new DoneWatcher();
      http.sendAsync(get, HttpResponse.BodyHandlers.fromLineSubscriber(watcher, w -> w.outcome(), "\n"))
          .whenComplete((response, error) -> {
            long end = System.nanoTime();
            if (error != null || response.statusCode() != 200) {
              fail(error != null ? "events: " + error : "events: HTTP " + response.statusCode());
            } else if (!"done".equals(response.body())) {
              fail("events: stream ended with " + response.body() + " for " + sessionId);
            } else if (end >= from && end < to) {
              completed.incrementAndGet();
              synchronized (this) {
                endToEnd.add(end - start);
                startAnswer.add(answered - start);
              }
            }
            next();
          });
    }

    /**
     * The next session at once, or, after a refusal that says when to retry (503 + Retry-After),
     * that many seconds later, as a well-behaved client would: retrying at once turns refusals
     * into a storm that measures the refusals.
     */
    private void afterRetryAfter(HttpResponse<?> response) {
      long seconds = response == null ? 0
          : response.headers().firstValueAsLong("Retry-After").orElse(0);
      if (seconds <= 0) {
        next();
      } else {
        CompletableFuture.delayedExecutor(Math.min(seconds, 5), TimeUnit.SECONDS).execute(this::next);
      }
    }

    void fail(String reason) {
      failed.incrementAndGet();
      firstFailure.compareAndSet(null, reason);
      String kind = reason.replaceAll("[0-9a-f]{8,}|~[0-9]+-[0-9a-f]+", "…");
      kinds.computeIfAbsent(kind.substring(0, Math.min(120, kind.length())), k -> new AtomicLong()).incrementAndGet();
    }

    /** Failures by kind (ids masked), most frequent first. */
    final java.util.concurrent.ConcurrentHashMap<String, AtomicLong> kinds = new java.util.concurrent.ConcurrentHashMap<>();
  }

  /** Reads SSE lines; the outcome is the type of the last {@code done}/{@code error} event seen. */
  private static final class DoneWatcher implements Flow.Subscriber<String> {
    private volatile String outcome = "no done event";

    @Override public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override public void onNext(String line) {
      if (line.startsWith("event:")) {
        String type = line.substring(6).trim();
        if (type.equals("done") || type.equals("error")) {
          outcome = type;
        }
      }
    }

    @Override public void onError(Throwable throwable) {
      outcome = "stream error: " + throwable;
    }

    @Override public void onComplete() {}

    String outcome() {
      return outcome;
    }
  }
}
