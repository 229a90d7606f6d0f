package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Broker calls and problem checks the HTTP edge tests share. */
final class BrokerCalls {

  private BrokerCalls() {}

  /** A publish body; {@code recipient} null leaves it out, {@code contentJson} is raw JSON. */
  static String body(String sender, String recipient, String messageType, String contentJson) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("sender", sender);
    if (recipient != null) {
      body.put("recipient", recipient);
    }
    body.put("messageType", messageType);
    try {
      body.set("content", Json.MAPPER.readTree(contentJson));
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + contentJson, e);
    }
    return body.toString();
  }

  /** Publishes and asserts 201; answers the body ({@code topic}, {@code offset}, {@code publishedAt}). */
  static JsonNode publish(HttpClientForTests http, String topic, String contentJson) {
    HttpClientForTests.Answer answer = http.postJson(messagesPath(topic), body("alice", null, "note", contentJson));
    assertEquals(201, answer.status(), () -> "publish to " + topic + ": " + answer.body());
    return answer.json();
  }

  static String messagesPath(String topic) {
    return "/api/v1/topics/" + topic + "/messages";
  }

  /** GET .../messages with {@code query} (may be empty), asserting 200. */
  static JsonNode messages(HttpClientForTests http, String topic, String query) {
    HttpClientForTests.Answer answer = http.get(messagesPath(topic) + (query.isEmpty() ? "" : "?" + query));
    assertEquals(200, answer.status(), () -> "read " + topic + "?" + query + ": " + answer.body());
    return answer.json();
  }

  static List<Long> offsets(JsonNode page) {
    List<Long> offsets = new ArrayList<>();
    page.get("messages").forEach(m -> offsets.add(m.get("offset").asLong()));
    return offsets;
  }

  /** Every topic in the list, walking the pages; each entry has {@code topic} and {@code lastOffset}. */
  static List<JsonNode> allTopics(HttpClientForTests http, int pageSize) {
    List<JsonNode> topics = new ArrayList<>();
    String after = null;
    for (int page = 0; page < 10_000; page++) {
      HttpClientForTests.Answer answer = http.get("/api/v1/topics?limit=" + pageSize + (after == null ? "" : "&after=" + after));
      assertEquals(200, answer.status(), answer::body);
      JsonNode body = answer.json();
      assertTrue(body.get("topics").size() <= pageSize, () -> "page larger than limit: " + body);
      body.get("topics").forEach(topics::add);
      JsonNode next = body.get("next");
      if (next == null || next.isNull()) {
        return topics;
      }
      assertFalse(body.get("topics").isEmpty(), "an empty page must not name a next cursor");
      assertEquals(body.get("topics").get(body.get("topics").size() - 1).get("topic").asText(), next.asText(),
          "next is the last topic of the page");
      after = next.asText();
    }
    throw new AssertionError("topic list does not end");
  }

  /** The topic's lastOffset as the topic list shows it, or 0 when the list does not hold it. */
  static long listedLastOffset(HttpClientForTests http, String topic) {
    return allTopics(http, 1000).stream().filter(t -> t.get("topic").asText().equals(topic))
        .mapToLong(t -> t.get("lastOffset").asLong()).findFirst().orElse(0);
  }

  /** Asserts an RFC 9457 problem with {@code status}; answers its body. */
  static JsonNode assertProblem(HttpClientForTests.Answer answer, int status) {
    assertEquals(status, answer.status(), answer::body);
    assertTrue(answer.contentType().startsWith("application/problem+json"),
        () -> "Content-Type was " + answer.contentType() + " for " + answer.body());
    JsonNode problem = answer.json();
    for (String member : List.of("type", "title", "detail")) {
      assertNotNull(problem.get(member), () -> "problem lacks " + member + ": " + problem);
      assertTrue(problem.get(member).isTextual() && !problem.get(member).asText().isBlank(),
          () -> "problem " + member + " is blank: " + problem);
    }
    assertEquals(status, problem.path("status").asInt(), () -> "problem status: " + problem);
    return problem;
  }

  /** Asserts a 400 validation problem whose {@code errors} name exactly {@code fields}. */
  static JsonNode assertInvalid(HttpClientForTests.Answer answer, String... fields) {
    JsonNode problem = assertProblem(answer, 400);
    JsonNode errors = problem.get("errors");
    assertNotNull(errors, () -> "validation problem without errors: " + problem);
    List<String> named = new ArrayList<>();
    errors.fieldNames().forEachRemaining(named::add);
    assertEquals(List.of(fields).stream().sorted().toList(), named.stream().sorted().toList(),
        () -> "fields named: " + problem);
    for (String field : fields) {
      assertFalse(errors.get(field).asText().isBlank(), () -> "no message for " + field + ": " + problem);
      assertTrue(problem.get("detail").asText().contains(field), () -> "detail does not name " + field + ": " + problem);
    }
    return problem;
  }
}
