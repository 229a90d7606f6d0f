package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.monitoring.Metrics;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.GovernanceMetrics;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.governance.ratelimit.LimiterSystems;
import io.troupe.runtime.governance.ratelimit.RateLimits;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rate-limit directive on a real HTTP server: requests within the key's limit reach the
 * route; the next one gets 429 with Retry-After and a problem+json detail naming the limit, and
 * counts in rate_limited_requests_total.
 */
class RateLimitDirectivesTest {

  private static ActorSystem<Void> system;
  private static ServerBinding binding;
  private static HttpClientForTests http;

  @BeforeAll
  static void start() throws Exception {
    system = LimiterSystems.start(Map.of(
        "troupe.rate-limits.classes.reads.per-minute", 3,
        "troupe.rate-limits.classes.reads.per-hour", "off"), true);
    RateLimits limits = RateLimits.get(system);
    RateLimitDirectives d = new RateLimitDirectives();
    Route route = d.concat(
        d.path("reads", () -> d.parameter("key", key -> d.parameterOptional("user", user ->
            d.rateLimited(limits, new Principal(user.orElse("user-1"), key, Role.USER), EndpointClass.READS,
                () -> d.complete("ok"))))),
        d.path("runs", () -> d.parameter("key", key ->
            d.rateLimited(limits, new Principal("user-1", key, Role.USER), EndpointClass.MODEL_RUNNING,
                () -> d.complete("ran")))));
    binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(route).toCompletableFuture().get(30, TimeUnit.SECONDS);
    http = new HttpClientForTests("http://127.0.0.1:" + binding.localAddress().getPort());
  }

  @AfterAll
  static void stop() {
    LimiterSystems.stop(system);
  }

  @Test
  void overTheLimitAnswers429WithRetryAfterAndAProblemNamingTheLimit() {
    double readsRefusedBefore = GovernanceMetrics.get(system).rateLimitedRequests.labels("reads").get();
    for (int i = 0; i < 3; i++) {
      var ok = http.get("/reads?key=k1");
      assertEquals(200, ok.status(), ok.body());
      assertEquals("ok", ok.body());
    }
    var refused = http.get("/reads?key=k1");
    assertEquals(429, refused.status(), refused.body());
    assertEquals("application/problem+json", refused.contentType());
    long retryAfter = Long.parseLong(refused.header("Retry-After"));
    assertTrue(retryAfter >= 1 && retryAfter <= 20, "3 per minute refills one every 20 s; Retry-After " + retryAfter);
    JsonNode problem = refused.json();
    assertEquals(429, problem.get("status").asInt());
    assertEquals("rate limit exceeded: 3 per 1 minute for reads; retry in " + retryAfter + " s",
        problem.get("detail").asText());
    assertEquals("reads", problem.get("endpointClass").asText());
    assertEquals(retryAfter, problem.get("retryAfterSeconds").asLong());
    assertEquals(readsRefusedBefore + 1, GovernanceMetrics.get(system).rateLimitedRequests.labels("reads").get());
    assertEquals(0.0, GovernanceMetrics.get(system).rateLimitedRequests.labels("model_running").get());

    // Another user's key, and the same key in another class, have their own allowance.
    assertEquals(200, http.get("/reads?key=k2&user=user-2").status());
    assertEquals(200, http.get("/runs?key=k1").status());
  }

  /** Issue 13: two keys of one user doubled the user's limit; now they share the user's buckets. */
  @Test
  void twoKeysOfOneUserShareTheUsersLimit() {
    assertEquals(200, http.get("/reads?key=a&user=user-3").status());
    assertEquals(200, http.get("/reads?key=b&user=user-3").status());
    assertEquals(200, http.get("/reads?key=a&user=user-3").status());
    var refused = http.get("/reads?key=b&user=user-3"); // key b took only 1 of its own 3
    assertEquals(429, refused.status(), refused.body());
    assertTrue(refused.header("Retry-After") != null, "Retry-After");
    JsonNode problem = refused.json();
    assertEquals("user", problem.get("limitScope").asText());
    assertTrue(problem.get("detail").asText().startsWith(
        "rate limit exceeded: 3 per 1 minute for reads across all API keys of user user-3; retry in "),
        problem.get("detail").asText());
    // Another user's keys are not held back by user-3's.
    assertEquals(200, http.get("/reads?key=a&user=user-4").status());
  }

  @Test
  void everyEndpointClassHasItsSeriesFromTheStart() {
    String exposition = scrape();
    for (EndpointClass cls : EndpointClass.values()) {
      assertTrue(exposition.contains("rate_limited_requests_total{endpoint_class=\"" + cls.label() + "\""),
          cls.label() + " missing from:\n" + exposition);
    }
  }

  private static String scrape() {
    java.io.StringWriter out = new java.io.StringWriter();
    try {
      io.prometheus.client.exporter.common.TextFormat.write004(out,
          Metrics.get(system).registry.filteredMetricFamilySamples(java.util.Set.of("rate_limited_requests_total")));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString();
  }
}
