package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fault test's traffic and its ledger: keyed topic publishes (retried with the same key until
 * acknowledged, bounded), deconfliction requests meant to be APPROVED (never retried: they carry
 * no key), and agent sessions. Every answer is recorded, with the attempt's send and end times so
 * requests in flight at the kill can be told apart. All targets are on 127.0.0.1.
 */
final class FaultLoad {

  static final int TOPICS = 10;
  static final int PUBLISH_TRIES = 8;

  /** A node (or the balancer) to send to. */
  record Target(String name, HttpClientForTests http) {}

  /** One HTTP attempt: {@code status} -1 when no answer came; {@code refused} when no connection was made. */
  record Attempt(String kind, String target, long sentNanos, long endNanos, int status, boolean refused) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  record Ack(String topic, String key, long offset, long endNanos) {}

  record Approved(int index, String allocationId) {}

  final String runId;
  final String theater;
  final String agent;
  final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
  final Queue<Ack> acks = new ConcurrentLinkedQueue<>();
  final Queue<String> unresolvedKeys = new ConcurrentLinkedQueue<>();
  final Queue<Approved> approved = new ConcurrentLinkedQueue<>();
  final Queue<String> notApproved = new ConcurrentLinkedQueue<>();
  final Queue<Integer> unknownDecisions = new ConcurrentLinkedQueue<>();
  final Queue<String> sessions = new ConcurrentLinkedQueue<>();
  final AtomicInteger unknownSessionStarts = new AtomicInteger();
  final AtomicInteger refusedSessionStarts = new AtomicInteger();
  final AtomicInteger refusedDecisions = new AtomicInteger();
  final AtomicInteger decisionIndex = new AtomicInteger();
  private final AtomicLong keys = new AtomicLong();
  private final AtomicLong lastSessionStart = new AtomicLong();
  private final AtomicLong lastDecision = new AtomicLong();
  private volatile List<Target> targets;
  private final AtomicBoolean stop = new AtomicBoolean();
  private volatile long hardDeadline = Long.MAX_VALUE;
  private ExecutorService workers;

  FaultLoad(String runId, List<Target> targets) {
    this.runId = runId;
    this.theater = "fault-" + runId;
    this.agent = "fault-agent-" + runId;
    this.targets = List.copyOf(targets);
  }

  static String topic(int i) {
    return "fault-topic-" + i;
  }

  static String sessionTopic() {
    return "session-out";
  }

  // ---- the workers ----

  /** Starts {@code threads} client threads, each cycling publish, publish, decide, publish, session. */
  void start(int threads, long sessionEveryMillis, long decisionEveryMillis) {
    workers = Executors.newFixedThreadPool(threads);
    for (int w = 0; w < threads; w++) {
      int worker = w;
      workers.submit(() -> {
        for (int op = 0; !stop.get() && op < 1_000_000; op++) {
          List<Target> now = targets;
          Target target = now.get((worker + op) % now.size());
          try {
            switch (op % 5) {
              case 2 -> {
                if (due(lastDecision, decisionEveryMillis)) {
                  decide(List.of(target));
                }
              }
              case 4 -> {
                if (due(lastSessionStart, sessionEveryMillis)) {
                  startSession(List.of(target));
                }
              }
              default -> publish(topic((worker * 7 + op) % TOPICS), now, (worker + op) % now.size());
            }
            Thread.sleep(10);
          } catch (InterruptedException e) {
            return;
          } catch (RuntimeException e) {
            System.out.println("[fault] worker " + worker + ": " + e);
          }
        }
      });
    }
  }

  private static boolean due(AtomicLong last, long everyMillis) {
    long now = System.nanoTime();
    long prev = last.get();
    return now - prev >= TimeUnit.MILLISECONDS.toNanos(everyMillis) && last.compareAndSet(prev, now);
  }

  /** Stops starting operations; retries in progress end by {@code hardDeadline} at the latest. */
  void stop(long waitSeconds) throws InterruptedException {
    stop.set(true);
    hardDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
    workers.shutdown();
    if (!workers.awaitTermination(waitSeconds + 30, TimeUnit.SECONDS)) {
      workers.shutdownNow();
      throw new AssertionError("load threads did not stop within " + (waitSeconds + 30) + " s");
    }
  }

  // ---- operations ----

  /**
   * Publishes a new keyed message to {@code topic}, retrying with the same key (on the next target
   * each time) up to {@link #PUBLISH_TRIES} times; answers the acknowledgement, or null when unresolved.
   */
  Ack publish(String topic, List<Target> on, int first) throws InterruptedException {
    String key = runId + "-" + keys.incrementAndGet();
    ObjectNode content = Json.MAPPER.createObjectNode().put("key", key).put("topic", topic);
    String body = BrokerCalls.body("fault-load", null, "load", content.toString());
    Map<String, String> headers = Map.of("Content-Type", "application/json", "Idempotency-Key", key);
    for (int attempt = 0; attempt < PUBLISH_TRIES && System.nanoTime() < hardDeadline; attempt++) {
      Target target = on.get((first + attempt) % on.size());
      Result r = send("publish", target, http -> http.send("POST", BrokerCalls.messagesPath(topic), headers, body));
      if (r.ok()) {
        Ack ack = new Ack(topic, key, r.json().get("offset").asLong(), r.attempt.endNanos);
        acks.add(ack);
        return ack;
      }
      if (r.status >= 400 && r.status < 500) {
        throw new AssertionError("publish rejected: " + r.status + " " + r.body);
      }
      Thread.sleep(150L * (attempt + 1));
    }
    unresolvedKeys.add(topic + "/" + key);
    return null;
  }

  /** Sends one deconfliction request on a frequency of its own; answers true when APPROVED. */
  boolean decide(List<Target> on) {
    int i = decisionIndex.incrementAndGet();
    JsonNode body = SpectrumCalls.request(theater, "asset-" + i, frequency(i));
    Result r = send("decide", on.get(i % on.size()), http -> http.postJson(SpectrumCalls.REQUESTS, body.toString()));
    if (r.ok()) {
      JsonNode decision = r.json();
      if ("APPROVED".equals(decision.path("status").asText())) {
        approved.add(new Approved(i, decision.path("allocationId").asText()));
        return true;
      }
      notApproved.add(i + ": " + decision);
      return false;
    }
    if (r.attempt.refused) {
      refusedDecisions.incrementAndGet();
    } else {
      unknownDecisions.add(i); // may or may not have been decided
    }
    return false;
  }

  static double frequency(int i) {
    return 1000.0 + i; // 1 MHz apart: 25 kHz channels are never candidates of each other
  }

  /** Starts a session of the agent; answers true on 202. */
  boolean startSession(List<Target> on) {
    int n = sessions.size() + unknownSessionStarts.get();
    String input = "{\"input\":\"fault session " + runId + "-" + System.nanoTime() + "\",\"userId\":\"fault\"}";
    Result r = send("session", on.get(n % on.size()), http -> http.postJson("/api/v1/agents/" + agent + "/sessions", input));
    if (r.status == 202) {
      sessions.add(r.json().get("sessionId").asText());
      return true;
    }
    if (r.attempt.refused) {
      refusedSessionStarts.incrementAndGet();
    } else {
      unknownSessionStarts.incrementAndGet(); // an error or timeout: the session may have started
    }
    return false;
  }

  void retarget(List<Target> now) {
    targets = List.copyOf(now);
  }

  // ---- one attempt ----

  private record Result(int status, String body, Attempt attempt) {
    boolean ok() {
      return attempt.ok();
    }

    JsonNode json() {
      return SpectrumCalls.json(body);
    }
  }

  private Result send(String kind, Target target, java.util.function.Function<HttpClientForTests, HttpClientForTests.Answer> call) {
    long sent = System.nanoTime();
    try {
      HttpClientForTests.Answer answer = call.apply(target.http());
      Attempt a = new Attempt(kind, target.name(), sent, System.nanoTime(), answer.status(), false);
      attempts.add(a);
      return new Result(answer.status(), answer.body(), a);
    } catch (UncheckedIOException e) {
      boolean refused = e.getCause() instanceof ConnectException;
      Attempt a = new Attempt(kind, target.name(), sent, System.nanoTime(), -1, refused);
      attempts.add(a);
      return new Result(-1, String.valueOf(e.getCause()), a);
    }
  }
}
