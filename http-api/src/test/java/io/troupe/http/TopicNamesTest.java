package io.troupe.http;

import static io.troupe.http.BrokerCalls.allTopics;
import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.body;
import static io.troupe.http.BrokerCalls.messages;
import static io.troupe.http.BrokerCalls.messagesPath;
import static io.troupe.http.BrokerCalls.offsets;
import static io.troupe.http.BrokerCalls.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Topic and subscriber names: 1–128 characters of [A-Za-z0-9._-]; anything else is a 400. */
@RunningNodeTest
class TopicNamesTest {

  private static final String LONGEST = "L".repeat(64) + "a.b_c-D9".repeat(8);
  private static final String ONE_TOO_LONG = "x".repeat(129);
  private static final String ACK = "{\"offset\":0}";

  @FromNode private static HttpClientForTests http;

  static Stream<String> validNames() {
    return Stream.of("a", "Z", "0", "Mixed.Case_name-09", "...", "-_-", LONGEST);
  }

  /** Invalid topic names as they appear in the request path (percent-encoded where needed). */
  static Stream<String> invalidNames() {
    return Stream.of(
        ONE_TOO_LONG,
        "has%20space",
        "caf%C3%A9",
        "%CE%B1lpha",
        "%E6%97%A5%E6%9C%AC",
        "slash%2Finside",
        "star*",
        "semi%3Bcolon",
        "plus+sign",
        "at@sign",
        "tilde~",
        "quote'",
        "percent%25",
        "tab%09");
  }

  static Stream<String> invalidSubscriberNames() {
    return Stream.of(ONE_TOO_LONG, "has%20space", "caf%C3%A9", "slash%2Finside", "star*", "plus+sign");
  }

  @ParameterizedTest
  @MethodSource("validNames")
  void validNamesWork(String topic) {
    assertEquals(128, LONGEST.length());
    assertEquals(1, publish(http, topic, "\"hi\"").get("offset").asLong());
    assertEquals(List.of(1L), offsets(messages(http, topic, "")));
    assertEquals(topic, messages(http, topic, "").get("topic").asText());
    HttpClientForTests.Answer ack = http.postJson("/api/v1/topics/" + topic + "/subscribers/" + topic + "/ack", "{\"offset\":1}");
    assertEquals(200, ack.status(), ack::body);
    assertEquals(2, ack.json().get("nextOffset").asLong());
    assertEquals(topic, ack.json().get("subscriber").asText());
    assertTrue(allTopics(http, 1000).stream().anyMatch(t -> t.get("topic").asText().equals(topic)));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void invalidTopicNamesAre400NamingTopicOnEveryRoute(String rawTopic) {
    int topicsBefore = allTopics(http, 1000).size();
    JsonNode problem = assertInvalid(http.postJson(messagesPath(rawTopic), body("a", null, "t", "1")), "topic");
    assertTrue(problem.get("errors").get("topic").asText().length() > 0);
    assertInvalid(http.get(messagesPath(rawTopic)), "topic");
    assertInvalid(http.get("/api/v1/topics/" + rawTopic + "/stream?from=1"), "topic");
    assertInvalid(http.get("/api/v1/topics/" + rawTopic + "/subscribers/ok"), "topic");
    assertInvalid(http.postJson("/api/v1/topics/" + rawTopic + "/subscribers/ok/ack", ACK), "topic");
    assertEquals(topicsBefore, allTopics(http, 1000).size(), "a rejected publish created no topic");
  }

  @Test
  void lengthLimitIsExactly128() {
    assertEquals(201, http.postJson(messagesPath("y".repeat(128)), body("a", null, "t", "1")).status());
    JsonNode problem = assertInvalid(http.postJson(messagesPath("y".repeat(129)), body("a", null, "t", "1")), "topic");
    assertTrue(problem.get("errors").get("topic").asText().contains("128"), problem::toString);
  }

  @ParameterizedTest
  @MethodSource("invalidSubscriberNames")
  void invalidSubscriberNamesAre400NamingName(String rawName) {
    publish(http, "names-sub-topic", "1");
    String base = "/api/v1/topics/names-sub-topic/subscribers/" + rawName;
    assertInvalid(http.get(base), "name");
    assertInvalid(http.postJson(base + "/ack", ACK), "name");
  }

  @Test
  void withBothNamesBadTheTopicIsNamed() {
    HttpClientForTests.Answer answer = http.send("GET", "/api/v1/topics/bad%20topic/subscribers/bad%20name", Map.of(), null);
    assertInvalid(answer, "topic");
  }

  @Test
  void subscriberNameOf128IsValidAnd129IsNot() {
    publish(http, "names-sub-length", "1");
    String base = "/api/v1/topics/names-sub-length/subscribers/";
    assertEquals(200, http.get(base + "s".repeat(128)).status());
    assertEquals(200, http.postJson(base + "s".repeat(128) + "/ack", "{\"offset\":1}").status());
    assertEquals(1, http.get(base + "s".repeat(128)).json().get("ackedOffset").asLong());
    assertInvalid(http.get(base + "s".repeat(129)), "name");
  }
}
