package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Cost and budget calls the cost HTTP tests share. */
final class CostCalls {

  private CostCalls() {}

  /** A scripted agent priced as gpt-4o: {@code scriptJson} is the JSON array of its replies. */
  static ObjectNode pricedAgent(String role, List<String> tools, String scriptJson) {
    ObjectNode body = AgentCalls.scripted(role, tools, scriptJson);
    body.put("model", "gpt-4o");
    return body;
  }

  static JsonNode setBudget(HttpClientForTests http, String scope, String subject, String period, double limitUsd) {
    HttpClientForTests.Answer answer = http.postJson("/api/v1/costs/budget", "{\"scope\":\"" + scope + "\",\"subject\":\""
        + subject + "\",\"period\":\"" + period + "\",\"limitUsd\":" + limitUsd + "}");
    assertEquals(200, answer.status(), answer::body);
    return answer.json();
  }

  /** Starts a session of {@code agent} for {@code userId}; answers its id. */
  static String start(HttpClientForTests http, String agent, String userId, String input) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("input", input).put("userId", userId);
    HttpClientForTests.Answer answer = AgentCalls.startRaw(http, agent, body.toString());
    assertEquals(202, answer.status(), answer::body);
    return answer.json().get("sessionId").asText();
  }

  /** The period entry ("day", "week", "month") of a budget view. */
  static JsonNode period(JsonNode budget, String period) {
    for (JsonNode p : budget.get("periods")) {
      if (period.equals(p.get("period").asText())) {
        return p;
      }
    }
    throw new AssertionError("no " + period + " in " + budget);
  }
}
