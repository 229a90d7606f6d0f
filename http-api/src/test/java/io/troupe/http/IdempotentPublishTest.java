package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An Idempotency-Key makes a retried publish or deconfliction request safe: one effect, the first answer. */
@RunningNodeTest
class IdempotentPublishTest {

  @FromNode private static RunningNode node;

  private static HttpClientForTests.Answer publish(String topic, String key) {
    return publish(node.http, topic, key);
  }

  private static HttpClientForTests.Answer publish(HttpClientForTests http, String topic, String key) {
    return http.send("POST", "/api/v1/topics/" + topic + "/messages",
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

  @Test
  void theSameKeyFromTwoUsersIsTwoPublishes() {
    HttpClientForTests alice = node.http.as(SecurityCalls.userWithKey(node.http, "Alice", "USER").key());
    HttpClientForTests bob = node.http.as(SecurityCalls.userWithKey(node.http, "Bob", "USER").key());
    assertEquals(201, publish(alice, "idem-users", "shared-1").status());
    var bobs = publish(bob, "idem-users", "shared-1");
    assertEquals(201, bobs.status(), bobs.body());
    assertEquals(2, bobs.json().get("offset").asLong(), "Bob's message is appended, not answered with Alice's");
    assertFalse(bobs.json().get("repeated").asBoolean());
    var bobsRetry = publish(bob, "idem-users", "shared-1");
    assertEquals(200, bobsRetry.status(), bobsRetry.body());
    assertEquals(2, bobsRetry.json().get("offset").asLong(), "each user's retry still answers their own offset");
    assertEquals(2, node.http.get("/api/v1/topics/idem-users/messages").json().get("messages").size());
  }

  @Test
  void theSameKeyFromTwoUsersIsTwoDeconflictionRequests() {
    HttpClientForTests alice = node.http.as(SecurityCalls.userWithKey(node.http, "Alice", "USER").key());
    HttpClientForTests bob = node.http.as(SecurityCalls.userWithKey(node.http, "Bob", "USER").key());
    Map<String, String> headers = Map.of("Content-Type", "application/json", "Idempotency-Key", "shared-req");
    var alices = alice.send("POST", "/api/v1/deconfliction/requests", headers, SpectrumCalls.request("idem-users-t", "a1", 150).toString());
    assertEquals("APPROVED", alices.json().get("status").asText(), alices.body());
    var bobs = bob.send("POST", "/api/v1/deconfliction/requests", headers, SpectrumCalls.request("idem-users-t", "b1", 5000).toString());
    assertEquals(200, bobs.status(), bobs.body());
    assertNotEquals(alices.json().get("decisionId"), bobs.json().get("decisionId"), "Bob's request is decided, not answered with Alice's");
    assertEquals("APPROVED", bobs.json().get("status").asText(), bobs.body());
    assertEquals("b1", node.http.get("/api/v1/allocations/" + bobs.json().get("allocationId").asText()).json().get("assetRid").asText());
    var bobsRetry = bob.send("POST", "/api/v1/deconfliction/requests", headers, SpectrumCalls.request("idem-users-t", "b1", 5000).toString());
    assertEquals(bobs.json().get("decisionId"), bobsRetry.json().get("decisionId"));
    assertEquals(2, node.http.get("/api/v1/allocations?theater=idem-users-t").json().get("allocations").size());
  }
}
