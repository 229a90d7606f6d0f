package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Admission control (troupe.http.max-in-flight): a burst far beyond what the node may hold in
 * flight is answered, every request, either by the service or by an immediate 503 with
 * Retry-After; nothing acknowledged is lost, health probes are never refused, and the node
 * serves normally once the burst is over.
 */
@RunningNodeTest(config = "troupe.http.max-in-flight = 2")
class AdmissionControlTest {

  private static final int CLIENTS = 48;
  private static final int PUBLISHES_EACH = 5;

  @FromNode private static RunningNode node;

  private record Outcome(int status, long nanos, String retryAfter, String contentType, String body, int id) {}

  @Test
  void aBurstBeyondTheBoundIsServedOrRefusedAtOnceAndNothingAcknowledgedIsLost() throws Exception {
    String topic = "admission-burst";
    BrokerCalls.publish(node.http, topic, "{\"warm\": true}"); // the topic entity is up before the burst
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS + 1);
    List<Future<List<Outcome>>> futures = new ArrayList<>();
    try {
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        futures.add(clients.submit(() -> {
          List<Outcome> outcomes = new ArrayList<>();
          for (int i = 0; i < PUBLISHES_EACH; i++) {
            int id = client * PUBLISHES_EACH + i;
            long start = System.nanoTime();
            HttpClientForTests.Answer a = node.http.postJson(BrokerCalls.messagesPath(topic),
                BrokerCalls.body("alice", null, "note", "{\"id\": " + id + "}"));
            outcomes.add(new Outcome(a.status(), System.nanoTime() - start, a.header("Retry-After"),
                a.contentType(), a.body(), id));
          }
          return outcomes;
        }));
      }
      // Probes are not API requests: a saturated node can still be watched and routed around.
      Future<List<Integer>> probes = clients.submit(() -> {
        List<Integer> statuses = new ArrayList<>();
        while (futures.stream().anyMatch(f -> !f.isDone()) && statuses.size() < 500) {
          statuses.add(node.http.get("/health/live").status());
        }
        return statuses;
      });

      List<Outcome> all = new ArrayList<>();
      for (Future<List<Outcome>> f : futures) {
        all.addAll(f.get(120, TimeUnit.SECONDS));
      }
      List<Integer> probeStatuses = probes.get(30, TimeUnit.SECONDS);

      Set<Integer> acknowledged = new HashSet<>();
      int refused = 0;
      long slowestRefusal = 0;
      long slowestServed = 0;
      for (Outcome o : all) {
        if (o.status() == 201) {
          acknowledged.add(o.id());
          slowestServed = Math.max(slowestServed, o.nanos());
        } else {
          assertEquals(503, o.status(), () -> "neither served nor refused: " + o);
          assertEquals("1", o.retryAfter(), () -> "a refusal says when to retry: " + o);
          assertTrue(o.contentType().startsWith("application/problem+json"), o::toString);
          assertTrue(o.body().contains("max-in-flight"), () -> "the refusal names its bound: " + o.body());
          refused++;
          slowestRefusal = Math.max(slowestRefusal, o.nanos());
        }
      }
      System.out.printf("admission: %d served (slowest %d ms), %d refused (slowest %d ms)%n", acknowledged.size(),
          slowestServed / 1_000_000, refused, slowestRefusal / 1_000_000);
      assertTrue(refused > 0, "a burst of " + CLIENTS + " clients against a bound of 2 refuses some");
      assertTrue(!acknowledged.isEmpty(), "and serves others");
      assertTrue(slowestRefusal < Duration.ofSeconds(1).toNanos(),
          "a refusal comes at once, not after a timeout: " + slowestRefusal / 1_000_000 + " ms");
      // What is admitted is not queued behind the overload either (issue 12, target 6).
      assertTrue(slowestServed < Duration.ofSeconds(1).toNanos(),
          "an admitted request is served within 1 s: " + slowestServed / 1_000_000 + " ms");
      assertTrue(probeStatuses.stream().allMatch(s -> s == 200), () -> "health probes are never refused: " + probeStatuses);

      Set<Integer> stored = new HashSet<>();
      for (JsonNode m : BrokerCalls.messages(node.http, topic, "limit=1000").get("messages")) {
        JsonNode id = m.get("content").get("id");
        if (id != null) {
          stored.add(id.asInt());
        }
      }
      assertEquals(acknowledged, stored, "exactly the acknowledged publishes are in the topic");

      Eventually.await(Duration.ofSeconds(10), "nothing left in flight", () ->
          metric("troupe_http_requests_in_flight") == 0 ? Optional.of(true) : Optional.empty());
      assertTrue(metric("troupe_http_requests_refused_total") >= refused, "every refusal is counted");
      BrokerCalls.publish(node.http, topic, "{\"after\": true}");
    } finally {
      clients.shutdownNow();
    }
  }

  /** A metric's value as this node's /metrics shows it (counted as in flight itself: it is not an API request). */
  private static double metric(String name) {
    for (String line : node.http.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " is not exported");
  }
}
