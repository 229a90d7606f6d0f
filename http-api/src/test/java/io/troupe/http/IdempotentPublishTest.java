package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An Idempotency-Key makes a retried publish or deconfliction request safe: one effect, the first answer. */
@RunningNodeTest
class IdempotentPublishTest {

  @FromNode private static RunningNode node;

  private static HttpClientForTests.Answer publish(String topic, String key) {
    return node.http.send("POST", "/api/v1/topics/" + topic + "/messages",
        key == null ? Map.of("Content-Type", "application/json") : Map.of("Content-Type", "application/json", "Idempotency-Key", key),
        "{\"sender\":\"s\",\"messageType\":\"t\",\"content\":1}");
  }

  @Test
  void aRetryWithTheSameKeyAnswersTheOriginalOffsetAndAppendsNothing() {
    var first = publish("idem", "order-42");
    assertEquals(201, first.status(), first.body());
    assertEquals(1, first.json().get("offset").asLong());
    assertEquals(201, publish("idem", null).status());
    var retry = publish("idem", "order-42");
    assertEquals(200, retry.status(), retry.body());
    assertEquals(1, retry.json().get("offset").asLong());
    assertTrue(retry.json().get("repeated").asBoolean());
    assertEquals(201, publish("idem", "order-43").status());
    assertEquals(3, node.http.get("/api/v1/topics/idem/messages").json().get("messages").size());
  }

  @Test
  void anOverlongKeyIsABadRequestAndStoresNothing() {
    var answer = publish("idem-bad", "k".repeat(256));
    assertEquals(400, answer.status());
    assertTrue(answer.json().get("errors").has("Idempotency-Key"), answer.body());
    assertEquals(0, node.http.get("/api/v1/topics/idem-bad/messages").json().get("messages").size());
  }

  @Test
  void aRetriedDeconflictionRequestWithTheSameKeyGetsTheFirstDecision() {
    String body = "{\"theater\":\"idem-t\",\"assetRid\":\"r1\",\"frequencyMhz\":150,\"bandwidthKhz\":25,"
        + "\"powerDbm\":30,\"latitude\":50,\"longitude\":10,\"durationMinutes\":60}";
    Map<String, String> headers = Map.of("Content-Type", "application/json", "Idempotency-Key", "req-1");
    var first = node.http.send("POST", "/api/v1/deconfliction/requests", headers, body);
    assertEquals(200, first.status(), first.body());
    assertEquals("APPROVED", first.json().get("status").asText());
    var retry = node.http.send("POST", "/api/v1/deconfliction/requests", headers, body);
    assertEquals(first.json().get("decisionId"), retry.json().get("decisionId"), "the same decision, not a new one");
    assertEquals(first.json().get("allocationId"), retry.json().get("allocationId"));
    assertEquals(1, node.http.get("/api/v1/allocations?theater=idem-t").json().get("allocations").size());
  }
}
