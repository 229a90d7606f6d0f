package io.troupe.http;

import static io.troupe.http.BrokerCalls.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Health probes, Prometheus metrics and the cluster view of a single running node. */
@RunningNodeTest
class OpsRoutesTest {

  @FromNode private static RunningNode node;
  @FromNode private static HttpClientForTests http;

  @Test
  void healthReportsDatabaseClusterAndSystemFigures() {
    HttpClientForTests.Answer answer = http.get("/health");
    assertEquals(200, answer.status(), answer::body);
    assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
    JsonNode health = answer.json();
    assertEquals("UP", health.get("status").asText());
    assertEquals("UP", health.get("database").get("status").asText());
    assertTrue(health.get("database").get("latencyMs").asDouble() >= 0);
    JsonNode cluster = health.get("cluster");
    assertEquals("UP", cluster.get("status").asText());
    assertEquals("up", cluster.get("selfStatus").asText());
    assertEquals(1, cluster.get("members").asInt());
    assertEquals(0, cluster.get("unreachable").asInt());
    assertTrue(cluster.get("shardingRunning").asBoolean());
    assertFalse(cluster.get("leader").asText().isBlank());
    JsonNode system = health.get("system");
    assertTrue(system.get("cpu").get("availableProcessors").asInt() >= 1, system::toString);
    assertTrue(system.get("cpu").has("systemLoadAverage"), system::toString);
    assertTrue(system.get("memory").get("heapUsedBytes").asLong() > 0, system::toString);
    assertTrue(system.get("memory").get("heapMaxBytes").asLong() > 0, system::toString);
    assertTrue(system.get("disk").get("totalBytes").asLong() > 0, system::toString);
    assertTrue(system.get("disk").get("usableBytes").asLong() >= 0, system::toString);
  }

  @Test
  void readinessAndLivenessAnswer200() {
    HttpClientForTests.Answer ready = http.get("/health/ready");
    assertEquals(200, ready.status(), ready::body);
    assertEquals("READY", ready.json().get("status").asText());
    HttpClientForTests.Answer live = http.get("/health/live");
    assertEquals(200, live.status(), live::body);
    assertEquals("UP", live.json().get("status").asText());
  }

  @Test
  void metricsLabelRequestsByRouteTemplateNeverByRawPath() {
    String topic = "secret-topic-4242";
    publish(http, topic, "{\"n\":1}");
    publish(http, topic, "{\"n\":2}");
    assertEquals(200, http.get("/api/v1/topics/" + topic + "/messages").status());
    assertEquals(404, http.get("/no-such-route-7331").status());
    assertEquals(400, http.get("/api/v1/topics/" + topic + "/messages?from=0").status());

    HttpClientForTests.Answer scrape = http.get("/metrics");
    assertEquals(200, scrape.status());
    assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
    assertTrue(scrape.contentType().contains("version=0.0.4"), scrape.contentType());
    String text = scrape.body();

    assertTrue(sample(text, "http_requests_total", "method=\"POST\"", "route=\"/api/v1/topics/{topic}/messages\"",
        "status=\"201\"") >= 2, "publishes counted under the route template");
    assertTrue(sample(text, "http_requests_total", "method=\"GET\"", "route=\"/api/v1/topics/{topic}/messages\"",
        "status=\"200\"") >= 1);
    assertTrue(sample(text, "http_requests_total", "method=\"GET\"", "route=\"/api/v1/topics/{topic}/messages\"",
        "status=\"400\"") >= 1);
    assertTrue(sample(text, "http_requests_total", "route=\"unmatched\"", "status=\"404\"") >= 1);
    assertTrue(sample(text, "http_request_duration_seconds_count", "route=\"/api/v1/topics/{topic}/messages\"") >= 3);
    assertFalse(text.contains(topic), "a topic name never becomes a label value");
    assertFalse(text.contains("no-such-route-7331"), "a raw path never becomes a label value");
  }

  @Test
  void metricsCarryBrokerJvmAndClusterFamilies() {
    publish(http, "metrics-broker", "1");
    String text = Eventually.await(Duration.ofSeconds(30), "troupe_cluster_members{status=\"up\"} 1 in /metrics", () -> {
      String body = http.get("/metrics").body();
      return sampleOrNegative(body, "troupe_cluster_members", "status=\"up\"") == 1.0 ? Optional.of(body) : Optional.empty();
    });
    assertTrue(sample(text, "embm_broker_messages_published_total") >= 1, "published counter");
    assertTrue(sample(text, "embm_broker_publish_duration_seconds_count") >= 1, "publish duration histogram");
    assertTrue(text.contains("embm_broker_publish_duration_seconds_bucket{"), "histogram buckets");
    assertTrue(text.contains("# TYPE embm_broker_publish_duration_seconds histogram"));
    assertTrue(sample(text, "jvm_memory_bytes_used", "area=\"heap\"") > 0, "hotspot JVM metrics");
    assertTrue(sample(text, "jvm_threads_current") > 0);
    assertEquals(0.0, sample(text, "troupe_cluster_members", "status=\"down\""));
  }

  @Test
  void clusterViewShowsTheOneUpMemberAsLeaderWithItsShards() {
    publish(http, "cluster-view", "1");
    assertEquals(200, http.postJson("/api/v1/topics/cluster-view/subscribers/w/ack", "{\"offset\":1}").status());
    HttpClientForTests.Answer answer = http.get("/api/v1/cluster");
    assertEquals(200, answer.status(), answer::body);
    assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
    JsonNode view = answer.json();
    String self = view.get("self").asText();
    assertTrue(self.startsWith("pekko://") && self.endsWith(":" + node.ports.cluster()), self);
    assertEquals("up", view.get("selfStatus").asText());
    assertEquals(self, view.get("leader").asText());
    assertEquals(1, view.get("members").size(), view::toString);
    JsonNode member = view.get("members").get(0);
    assertEquals(self, member.get("address").asText());
    assertEquals("up", member.get("status").asText());
    assertTrue(member.get("reachable").asBoolean());
    assertEquals(0, view.get("unreachable").size());
    JsonNode regions = view.get("sharding").get(self);
    assertNotNull(regions, () -> "sharding per node: " + view);
    for (String entityType : new String[] {"Topic", "Subscriber"}) {
      JsonNode region = regions.get(entityType);
      assertNotNull(region, () -> entityType + " region in " + view);
      assertTrue(region.get("shards").asInt() >= 1, () -> entityType + ": " + region);
      assertTrue(region.get("entities").asInt() >= 1, () -> entityType + ": " + region);
      assertEquals(0, region.get("failedShards").asInt());
    }
  }

  @Test
  void unknownOpsRoutesAndMethodsAreProblems() {
    BrokerCalls.assertProblem(http.get("/healthz"), 404);
    HttpClientForTests.Answer post = http.postJson("/health", "{}");
    BrokerCalls.assertProblem(post, 405);
    assertTrue(post.header("Allow").contains("GET"), () -> "Allow: " + post.header("Allow"));
  }

  /** The sum of the samples of {@code name} whose labels include all of {@code labels}. */
  private static double sample(String text, String name, String... labels) {
    double value = sampleOrNegative(text, name, labels);
    if (value < 0) {
      throw new AssertionError("no sample " + name + " with " + String.join(",", labels) + " in:\n" + text);
    }
    return value;
  }

  private static double sampleOrNegative(String text, String name, String... labels) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{.*\\})? (\\S+)$").matcher(text);
    // Label values may hold braces (route="/api/v1/topics/{topic}/messages"): the label set runs to the last '}'.
    double total = -1;
    while (m.find()) {
      String labelSet = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (String label : labels) {
        all &= labelSet.contains(label);
      }
      if (all) {
        total = Math.max(total, 0) + Double.parseDouble(m.group(2));
      }
    }
    return total;
  }
}
