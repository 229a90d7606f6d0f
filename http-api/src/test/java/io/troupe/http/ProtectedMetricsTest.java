package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import org.junit.jupiter.api.Test;

/** With troupe.security.protect-metrics on, /metrics needs a key with metrics:read; /health stays open. */
@RunningNodeTest(config = "troupe.security.protect-metrics = on")
class ProtectedMetricsTest {

  @FromNode private static RunningNode node;

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
