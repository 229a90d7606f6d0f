package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** With troupe.security.protect-metrics on, /metrics needs a key with metrics:read; /health stays open. */
class ProtectedMetricsTest {

  private static RunningNode node;

  @BeforeAll
  static void start() throws Exception {
    node = RunningNode.startAlone(TestDatabase.fresh(), Map.of("troupe.security.protect-metrics", "on"));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void metricsNeedAKeyHealthDoesNot() {
    HttpClientForTests.Answer anonymous = node.http.as(null).get("/metrics");
    assertEquals(401, anonymous.status(), anonymous::body);
    assertTrue(anonymous.contentType().startsWith("application/problem+json"));
    assertEquals(401, node.http.as("not-a-valid-key-at-all").get("/metrics").status());
    String reader = SecurityCalls.userWithKey(node.http, "scraper", "READONLY").key();
    HttpClientForTests.Answer scraped = node.http.as(reader).get("/metrics");
    assertEquals(200, scraped.status());
    assertTrue(scraped.body().contains("http_requests_total"), "a Prometheus scrape");
    assertEquals(200, node.http.as(null).get("/health/ready").status());
  }
}
