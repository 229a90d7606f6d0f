package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Deconfliction calls the spectrum HTTP tests share. */
final class SpectrumCalls {

  static final String REQUESTS = "/api/v1/deconfliction/requests";

  private SpectrumCalls() {}

  /** A valid request body: 25 kHz at {@code frequencyMhz}, 30 dBm, at (50, 10), for an hour from now. */
  static ObjectNode request(String theater, String assetRid, double frequencyMhz) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("assetRid", assetRid);
    body.put("frequencyMhz", frequencyMhz);
    body.put("bandwidthKhz", 25.0);
    body.put("powerDbm", 30.0);
    body.put("latitude", 50.0);
    body.put("longitude", 10.0);
    body.put("durationMinutes", 60);
    body.put("theater", theater);
    return body;
  }

  /** POSTs a request, asserting 200 and a decision id; answers the decision. */
  static JsonNode decide(HttpClientForTests http, JsonNode body) {
    HttpClientForTests.Answer answer = http.postJson(REQUESTS, body.toString());
    assertEquals(200, answer.status(), () -> "decide " + body + ": " + answer.body());
    assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
    JsonNode decision = answer.json();
    assertTrue(decision.path("decisionId").isTextual(), () -> "no decisionId: " + decision);
    return decision;
  }

  /** Decides and asserts APPROVED; answers the allocation id. */
  static String approved(HttpClientForTests http, JsonNode body) {
    JsonNode decision = decide(http, body);
    assertEquals("APPROVED", decision.path("status").asText(), decision::toString);
    assertTrue(decision.path("allocationId").isTextual(), decision::toString);
    return decision.get("allocationId").asText();
  }

  /** GET /api/v1/allocations/{id}, asserting 200. */
  static JsonNode allocation(HttpClientForTests http, String id) {
    HttpClientForTests.Answer answer = http.get("/api/v1/allocations/" + id);
    assertEquals(200, answer.status(), () -> "allocation " + id + ": " + answer.body());
    return answer.json();
  }

  /** The allocation ids GET /api/v1/allocations?{query} lists, in the order listed. */
  static List<String> listed(HttpClientForTests http, String query) {
    HttpClientForTests.Answer answer = http.get("/api/v1/allocations?" + query);
    assertEquals(200, answer.status(), () -> "list ?" + query + ": " + answer.body());
    List<String> ids = new ArrayList<>();
    answer.json().get("allocations").forEach(a -> ids.add(a.get("allocationId").asText()));
    return ids;
  }

  /** PUT /api/v1/roe?theater=, asserting 200; answers the rules as stored. */
  static JsonNode putRoe(HttpClientForTests http, String theater, String rulesJson) {
    HttpClientForTests.Answer answer = http.send("PUT", "/api/v1/roe?theater=" + theater,
        Map.of("Content-Type", "application/json"), rulesJson);
    assertEquals(200, answer.status(), () -> "PUT roe " + rulesJson + ": " + answer.body());
    return answer.json();
  }

  static JsonNode getRoe(HttpClientForTests http, String theater) {
    HttpClientForTests.Answer answer = http.get("/api/v1/roe?theater=" + theater);
    assertEquals(200, answer.status(), answer::body);
    return answer.json();
  }

  static JsonNode json(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  /** The sum of the samples of {@code name} whose labels include all of {@code labels}; -1 when none. */
  static double sample(String text, String name, String... labels) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{.*\\})? (\\S+)$").matcher(text);
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
