package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.SpectrumCalls.approved;
import static io.troupe.http.SpectrumCalls.decide;
import static io.troupe.http.SpectrumCalls.putRoe;
import static io.troupe.http.SpectrumCalls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Analytics over real HTTP on one node: what the API did shows up, after the read side's lag, in
 * the analytics endpoints, filled by the projections from the journal.
 */
@RunningNodeTest
class AnalyticsRoutesTest {

  /** The read side lags by the read journal's polling and the group window; generous for a busy machine. */
  private static final Duration READ_SIDE_LAG = Duration.ofSeconds(20);

  @FromNode private static HttpClientForTests http;

  /** Polls GET {@code path} until its JSON satisfies {@code done}; answers that JSON. */
  private static JsonNode awaitAnalytics(String path, String what, Predicate<JsonNode> done) {
    return Eventually.await(READ_SIDE_LAG, what + " at " + path, () -> {
      HttpClientForTests.Answer answer = http.get(path);
      assertEquals(200, answer.status(), answer::body);
      JsonNode json = answer.json();
      return done.test(json) ? Optional.of(json) : Optional.empty();
    });
  }

  private static Optional<JsonNode> agentEntry(JsonNode report, String name) {
    for (JsonNode a : report.get("agents")) {
      if (name.equals(a.get("agentName").asText())) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  @Test
  void aCompletedSessionShowsUpInTheAgentAnalytics() {
    String name = AgentCalls.uniqueName("analyst");
    AgentCalls.define(http, name, AgentCalls.scripted("x", List.of("read_topic"),
        "[{\"toolCalls\":[{\"name\":\"read_topic\",\"arguments\":{\"topic\":\"t\"}}]},{\"text\":\"done\"}]"));
    String id = AgentCalls.start(http, name, "go");
    AgentCalls.awaitStatus(http, id, "COMPLETED");

    JsonNode report = awaitAnalytics("/api/v1/analytics/agents", name + " with one completed session",
        r -> agentEntry(r, name).map(a -> a.get("completed").asLong() == 1).orElse(false));
    JsonNode agent = agentEntry(report, name).orElseThrow();
    assertEquals(1, agent.get("sessions").asLong(), agent::toString);
    assertEquals(0, agent.get("errors").asLong(), agent::toString);
    assertEquals(0, agent.get("running").asLong(), agent::toString);
    assertEquals(2.0, agent.get("averageIterations").asDouble(), agent::toString);
    assertEquals(1, agent.get("toolCalls").asLong(), agent::toString);
    assertEquals(2, agent.get("llmCalls").asLong(), agent::toString);
    assertTrue(agent.get("averageDurationMs").asDouble() >= 0, agent::toString);
    assertTrue(report.get("totals").get("sessions").asLong() >= 1, report::toString);

    String future = Instant.now().plusSeconds(3600).toString();
    JsonNode later = http.get("/api/v1/analytics/agents?since=" + future).json();
    assertTrue(agentEntry(later, name).isEmpty(), later::toString);
    assertEquals(0, later.get("totals").get("sessions").asLong(), later::toString);
  }

  @Test
  void decisionsViolationsAndAllocationsShowUpInTheDeconflictionAnalytics() {
    String t = "t-analytics";
    String since = Instant.now().minusSeconds(1).toString();
    putRoe(http, t, "{\"restrictedBands\":[{\"minMhz\":2400,\"maxMhz\":2500,\"severity\":\"HIGH\",\"reason\":\"ISM\"}]}");
    String allocation = approved(http, request(t, "first", 1000));
    assertEquals("DENIED", decide(http, request(t, "wifi", 2450).put("bandwidthKhz", 1000)).get("status").asText());
    assertEquals("CONFLICT", decide(http, request(t, "second", 1000)).get("status").asText());

    JsonNode decisions = awaitAnalytics("/api/v1/analytics/deconfliction?theater=" + t + "&since=" + since,
        "three decisions", r -> r.get("totalRequests").asLong() == 3);
    assertEquals(1, decisions.get("approved").asLong(), decisions::toString);
    assertEquals(1, decisions.get("denied").asLong(), decisions::toString);
    assertEquals(1, decisions.get("conflicts").asLong(), decisions::toString);
    assertEquals(1.0 / 3, decisions.get("approvalRate").asDouble(), 1e-9, decisions::toString);
    assertEquals(t, decisions.get("theater").asText());

    JsonNode violations = awaitAnalytics("/api/v1/analytics/roe-violations?theater=" + t + "&since=" + since,
        "one violation", r -> r.get("total").asLong() == 1);
    assertEquals(1, violations.get("bySeverity").get("HIGH").asLong(), violations::toString);
    assertEquals(0, violations.get("bySeverity").get("LOW").asLong(), violations::toString);
    assertEquals(1, violations.get("byType").get("RESTRICTED_BAND").asLong(), violations::toString);

    JsonNode usage = awaitAnalytics("/api/v1/analytics/frequency-usage?minMhz=990&maxMhz=1010&theater=" + t,
        "one allocation near 1000 MHz", r -> r.get("total").asLong() == 1);
    JsonNode row = usage.get("allocations").get(0);
    assertEquals(allocation, row.get("allocationId").asText(), usage::toString);
    assertEquals("APPROVED", row.get("status").asText(), usage::toString);
    assertEquals("first", row.get("assetRid").asText(), usage::toString);
    assertEquals(1000.0, row.get("frequencyMhz").asDouble(), usage::toString);
    assertEquals(1, usage.get("byStatus").get("APPROVED").asLong(), usage::toString);
    // The band edge counts: 25 kHz around 1000 MHz reaches 1000.0125.
    assertEquals(1, http.get("/api/v1/analytics/frequency-usage?minMhz=1000.01&maxMhz=2000&theater=" + t)
        .json().get("total").asLong());
    assertEquals(0, http.get("/api/v1/analytics/frequency-usage?minMhz=2000&maxMhz=3000&theater=" + t)
        .json().get("total").asLong(), "the denied request took no spectrum");

    String future = Instant.now().plusSeconds(3600).toString();
    assertEquals(0, http.get("/api/v1/analytics/deconfliction?theater=" + t + "&since=" + future)
        .json().get("totalRequests").asLong());
    assertEquals(0, http.get("/api/v1/analytics/roe-violations?theater=" + t + "&since=" + future)
        .json().get("total").asLong());
  }

  @Test
  void badParametersAre400sNamingThem() {
    for (String path : List.of("/api/v1/analytics/agents", "/api/v1/analytics/deconfliction",
        "/api/v1/analytics/roe-violations")) {
      JsonNode problem = assertProblem(http.get(path + "?since=yesterday"), 400);
      assertTrue(problem.get("errors").has("since"), problem::toString);
      assertTrue(problem.get("detail").asText().contains("ISO-8601"), problem::toString);
    }
    JsonNode noOffset = assertProblem(http.get("/api/v1/analytics/deconfliction?since=2026-11-22T10:00:00"), 400);
    assertTrue(noOffset.get("errors").has("since"), noOffset::toString);
    JsonNode range = assertProblem(http.get("/api/v1/analytics/frequency-usage?minMhz=abc&maxMhz=-5"), 400);
    assertTrue(range.get("errors").has("minMhz") && range.get("errors").has("maxMhz"), range::toString);
    JsonNode inverted = assertProblem(http.get("/api/v1/analytics/frequency-usage?minMhz=20&maxMhz=10"), 400);
    assertTrue(inverted.get("errors").has("maxMhz"), inverted::toString);
    JsonNode limit = assertProblem(http.get("/api/v1/analytics/frequency-usage?limit=0"), 400);
    assertTrue(limit.get("errors").has("limit"), limit::toString);
    assertProblem(http.get("/api/v1/analytics/deconfliction?theater=bad%20name"), 400);
    assertProblem(http.send("POST", "/api/v1/analytics/agents", java.util.Map.of(), null), 405);
  }
}
