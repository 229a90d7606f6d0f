package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.BrokerCalls.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Named subscribers' acknowledged positions in a topic, over real HTTP on one node. */
@RunningNodeTest
class SubscriberRoutesTest {

  @FromNode private static HttpClientForTests http;

  private static String path(String topic, String name) {
    return "/api/v1/topics/" + topic + "/subscribers/" + name;
  }

  private static HttpClientForTests.Answer ack(String topic, String name, String body) {
    return http.postJson(path(topic, name) + "/ack", body);
  }

  private static JsonNode position(String topic, String name) {
    HttpClientForTests.Answer answer = http.get(path(topic, name));
    assertEquals(200, answer.status(), answer::body);
    assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
    return answer.json();
  }

  private static void publishN(String topic, int n) {
    for (int i = 0; i < n; i++) {
      publish(http, topic, Integer.toString(i));
    }
  }

  @Test
  void unknownSubscriberStandsBeforeTheFirstOffset() {
    publishN("sub-unknown", 2);
    for (String topic : new String[] {"sub-unknown", "sub-no-such-topic"}) {
      JsonNode p = position(topic, "nobody");
      assertEquals(topic, p.get("topic").asText());
      assertEquals("nobody", p.get("subscriber").asText());
      assertEquals(0, p.get("ackedOffset").asLong());
      assertEquals(1, p.get("nextOffset").asLong());
    }
  }

  @Test
  void ackMovesThePositionAndIsDurable() {
    publishN("sub-ack", 3);
    Instant before = Instant.now().minusSeconds(1);
    HttpClientForTests.Answer answer = ack("sub-ack", "worker", "{\"offset\":2}");
    assertEquals(200, answer.status(), answer::body);
    assertEquals(2, answer.json().get("ackedOffset").asLong());
    assertEquals(3, answer.json().get("nextOffset").asLong());
    JsonNode p = position("sub-ack", "worker");
    assertEquals(2, p.get("ackedOffset").asLong());
    assertEquals(3, p.get("nextOffset").asLong());
    assertNotNull(p.get("ackedAt"));
    assertTrue(!Instant.parse(p.get("ackedAt").asText()).isBefore(before), p::toString);

    HttpClientForTests.Answer toEnd = ack("sub-ack", "worker", "{\"offset\":3}");
    assertEquals(200, toEnd.status(), toEnd::body);
    assertEquals(4, position("sub-ack", "worker").get("nextOffset").asLong());
  }

  @Test
  void ackLowerThanCurrentIsANoOpAnsweringTheCurrentPosition() {
    publishN("sub-lower", 5);
    assertEquals(200, ack("sub-lower", "w", "{\"offset\":4}").status());
    for (String lower : new String[] {"{\"offset\":1}", "{\"offset\":4}", "{\"offset\":0}"}) {
      HttpClientForTests.Answer answer = ack("sub-lower", "w", lower);
      assertEquals(200, answer.status(), answer::body);
      assertEquals(4, answer.json().get("ackedOffset").asLong(), lower);
      assertEquals(5, answer.json().get("nextOffset").asLong(), lower);
    }
    JsonNode p = position("sub-lower", "w");
    assertEquals(4, p.get("ackedOffset").asLong());
    assertEquals(5, p.get("nextOffset").asLong());
  }

  @Test
  void ackBeyondTheLastOffsetIs400NamingOffsetAndChangesNothing() {
    publishN("sub-beyond", 3);
    assertEquals(200, ack("sub-beyond", "w", "{\"offset\":1}").status());
    JsonNode problem = assertInvalid(ack("sub-beyond", "w", "{\"offset\":4}"), "offset");
    assertTrue(problem.get("errors").get("offset").asText().contains("3"), () -> "names the last offset: " + problem);
    assertInvalid(ack("sub-beyond", "w", "{\"offset\":9223372036854775807}"), "offset");
    assertInvalid(ack("sub-no-messages", "w", "{\"offset\":1}"), "offset");
    JsonNode p = position("sub-beyond", "w");
    assertEquals(1, p.get("ackedOffset").asLong());
    assertEquals(2, p.get("nextOffset").asLong());
    assertEquals(0, position("sub-no-messages", "w").get("ackedOffset").asLong());
  }

  @Test
  void badAckBodiesAre400NamingOffset() {
    publishN("sub-bad-body", 2);
    assertInvalid(ack("sub-bad-body", "w", "{\"offset\":-1}"), "offset");
    assertInvalid(ack("sub-bad-body", "w", "{\"offset\":\"1\"}"), "offset");
    assertInvalid(ack("sub-bad-body", "w", "{\"offset\":1.5}"), "offset");
    assertInvalid(ack("sub-bad-body", "w", "{\"offset\":null}"), "offset");
    assertInvalid(ack("sub-bad-body", "w", "{}"), "offset");
    assertInvalid(ack("sub-bad-body", "w", "{\"offset\":99999999999999999999999}"), "offset");
    assertProblem(ack("sub-bad-body", "w", "[1]"), 400);
    assertProblem(ack("sub-bad-body", "w", "{\"offset\":"), 400);
    assertProblem(http.send("POST", path("sub-bad-body", "w") + "/ack", Map.of("Content-Type", "text/plain"), "{\"offset\":1}"), 415);
    assertProblem(http.send("DELETE", path("sub-bad-body", "w"), Map.of(), null), 405);
    assertProblem(http.get(path("sub-bad-body", "w") + "/ack"), 405);
    assertEquals(0, position("sub-bad-body", "w").get("ackedOffset").asLong(), "nothing acknowledged");
  }

  @Test
  void subscribersAreIndependentPerNameAndPerTopic() {
    publishN("sub-indep-a", 3);
    publishN("sub-indep-b", 3);
    assertEquals(200, ack("sub-indep-a", "one", "{\"offset\":3}").status());
    assertEquals(200, ack("sub-indep-a", "two", "{\"offset\":1}").status());
    assertEquals(3, position("sub-indep-a", "one").get("ackedOffset").asLong());
    assertEquals(1, position("sub-indep-a", "two").get("ackedOffset").asLong());
    assertEquals(0, position("sub-indep-b", "one").get("ackedOffset").asLong());
    assertEquals(0, position("sub-indep-b", "two").get("ackedOffset").asLong());
  }

  @Test
  void ackingDoesNotAddMessagesToTheTopic() {
    publishN("sub-no-offset-taken", 2);
    assertEquals(200, ack("sub-no-offset-taken", "w", "{\"offset\":2}").status());
    assertEquals(3, publish(http, "sub-no-offset-taken", "3").get("offset").asLong());
    assertEquals(3, BrokerCalls.messages(http, "sub-no-offset-taken", "").get("messages").size());
  }
}
