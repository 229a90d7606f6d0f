package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Agents use the spectrum through tools: request, read the plan, release; the built-in manager exists. */
@RunningNodeTest
class SpectrumToolsTest {

  @FromNode private static RunningNode node;

  private static JsonNode awaitFinished(String sessionId) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    JsonNode view = null;
    while (Instant.now().isBefore(deadline)) {
      view = node.http.get("/api/v1/sessions/" + sessionId).json();
      if (!"RUNNING".equals(view.path("status").asText())) {
        return view;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("session not finished: " + view);
  }

  @Test
  void aScriptedAgentRequestsReadsAndReleasesAnAllocationThroughItsTools() throws Exception {
    var defined = node.http.send("PUT", "/api/v1/agents/radio-officer", Map.of("Content-Type", "application/json"), """
        {"role":"Radio officer","provider":"scripted",
         "tools":["request_deconfliction","get_spectrum_plan","release_allocation"],
         "script":[
          {"toolCalls":[{"name":"request_deconfliction","arguments":{"assetRid":"radio-7","frequencyMhz":243.5,
            "bandwidthKhz":25,"powerDbm":30,"latitude":52,"longitude":4,"durationMinutes":60,"theater":"tools-t"}}]},
          {"toolCalls":[{"name":"get_spectrum_plan","arguments":{"minMhz":243,"maxMhz":244,"theater":"tools-t"}}]},
          {"toolCalls":[{"name":"release_allocation","arguments":{"allocationId":"tools-t-1"}}]},
          {"text":"Requested, checked and released tools-t-1."}]}""");
    assertEquals(201, defined.status(), defined.body());
    String sessionId = node.http.postJson("/api/v1/agents/radio-officer/sessions", "{\"input\":\"get me 243.5 MHz\"}")
        .json().get("sessionId").asText();
    JsonNode view = awaitFinished(sessionId);
    assertEquals("COMPLETED", view.get("status").asText(), view.toString());
    JsonNode calls = view.get("toolCalls");
    assertEquals(3, calls.size());
    for (JsonNode c : calls) {
      assertEquals("OK", c.get("outcome").asText(), c.toString());
    }
    JsonNode decision = Json.MAPPER.readTree(calls.get(0).get("result").asText());
    assertEquals("APPROVED", decision.get("status").asText());
    assertEquals("tools-t-1", decision.get("allocationId").asText());
    JsonNode plan = Json.MAPPER.readTree(calls.get(1).get("result").asText());
    assertEquals("tools-t-1", plan.get("allocations").get(0).get("allocationId").asText());
    assertEquals("RELEASED", node.http.get("/api/v1/allocations/tools-t-1").json().get("status").asText());
  }

  @Test
  void theBuiltInSpectrumManagerIsDefinedWithTheSpectrumTools() throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    HttpClientForTests.Answer answer = node.http.get("/api/v1/agents/spectrum-manager");
    while (answer.status() != 200 && Instant.now().isBefore(deadline)) {
      Thread.sleep(200);
      answer = node.http.get("/api/v1/agents/spectrum-manager");
    }
    assertEquals(200, answer.status(), answer.body());
    JsonNode definition = answer.json().get("definition");
    assertEquals("Electromagnetic Spectrum Manager", definition.get("role").asText());
    String tools = definition.get("tools").toString();
    assertTrue(tools.contains("request_deconfliction") && tools.contains("get_spectrum_plan")
        && tools.contains("release_allocation"), tools);
  }
}
