package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Agent and session calls the agent HTTP tests share. */
final class AgentCalls {

  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(30);
  private static final AtomicInteger NAMES = new AtomicInteger();

  private AgentCalls() {}

  /** A name no other test of this JVM uses. */
  static String uniqueName(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  static String agentPath(String name) {
    return "/api/v1/agents/" + name;
  }

  static ObjectNode parse(String json) {
    try {
      return (ObjectNode) Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }

  /** A scripted agent's definition: {@code scriptJson} is the JSON array of its replies. */
  static ObjectNode scripted(String role, List<String> tools, String scriptJson) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("role", role);
    body.put("provider", "scripted");
    ArrayNode t = body.putArray("tools");
    tools.forEach(t::add);
    try {
      body.set("script", Json.MAPPER.readTree(scriptJson));
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + scriptJson, e);
    }
    return body;
  }

  /**
   * An agent that answers {@code text} at once, calling no tool. Its role names the answer, so no
   * two such agents send the model the same request (the node's response cache keys on the request).
   */
  static ObjectNode answering(String text) {
    return scripted("Answerer of " + text, List.of(), "[{\"text\":" + Json.MAPPER.valueToTree(text) + "}]");
  }

  /** A script reply calling one tool, then (as the next reply) a final answer. */
  static String toolThenAnswer(String text, String tool, String argumentsJson, String answer) {
    return "[{\"text\":" + Json.MAPPER.valueToTree(text) + ",\"toolCalls\":[{\"name\":\"" + tool + "\",\"arguments\":"
        + argumentsJson + "}]},{\"text\":" + Json.MAPPER.valueToTree(answer) + "}]";
  }

  static HttpClientForTests.Answer put(HttpClientForTests http, String name, String body) {
    return http.send("PUT", agentPath(name), java.util.Map.of("Content-Type", "application/json"), body);
  }

  /** PUT that must answer {@code status} (201 new, 200 redefined); answers the agent. */
  static JsonNode define(HttpClientForTests http, String name, JsonNode definition, int status) {
    HttpClientForTests.Answer answer = put(http, name, definition.toString());
    assertEquals(status, answer.status(), () -> "PUT " + name + ": " + answer.body());
    JsonNode agent = answer.json();
    assertEquals(name, agent.get("name").asText());
    return agent;
  }

  static JsonNode define(HttpClientForTests http, String name, JsonNode definition) {
    return define(http, name, definition, 201);
  }

  /** GET of a defined agent. */
  static JsonNode agent(HttpClientForTests http, String name) {
    HttpClientForTests.Answer answer = http.get(agentPath(name));
    assertEquals(200, answer.status(), () -> "GET " + name + ": " + answer.body());
    return answer.json();
  }

  static HttpClientForTests.Answer startRaw(HttpClientForTests http, String name, String body) {
    return http.postJson(agentPath(name) + "/sessions", body);
  }

  /** POST .../sessions: asserts 202 with the id and a Location naming it; answers the id. */
  static String start(HttpClientForTests http, String name, String input) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("input", input).put("userId", "tester");
    HttpClientForTests.Answer answer = startRaw(http, name, body.toString());
    assertEquals(202, answer.status(), () -> "start a session of " + name + ": " + answer.body());
    String id = answer.json().get("sessionId").asText();
    assertTrue(id.startsWith(name + "~"), () -> "session id " + id + " names its agent");
    assertEquals("/api/v1/sessions/" + id, answer.header("Location"));
    return id;
  }

  static HttpClientForTests.Answer sessionRaw(HttpClientForTests http, String id) {
    return http.get("/api/v1/sessions/" + id);
  }

  static JsonNode session(HttpClientForTests http, String id) {
    HttpClientForTests.Answer answer = sessionRaw(http, id);
    assertEquals(200, answer.status(), () -> "GET session " + id + ": " + answer.body());
    return answer.json();
  }

  /** Waits until the session is no longer RUNNING; answers its view. */
  static JsonNode awaitEnd(HttpClientForTests http, String id) {
    return Eventually.await(SESSION_TIMEOUT, "session " + id + " ends", () -> {
      JsonNode view = session(http, id);
      return "RUNNING".equals(view.get("status").asText()) ? Optional.empty() : Optional.of(view);
    });
  }

  /** Waits until the session ends with {@code status}; answers its view. */
  static JsonNode awaitStatus(HttpClientForTests http, String id, String status) {
    JsonNode view = awaitEnd(http, id);
    assertEquals(status, view.get("status").asText(), () -> "session " + id + ": " + view);
    return view;
  }

  /** A session's events as SSE; {@code query} may be empty. */
  static SseStream events(HttpClientForTests http, String id, String query, java.util.Map<String, String> headers) {
    return SseStream.open(http.base, "/api/v1/sessions/" + id + "/events" + query, headers);
  }

  /**
   * Every event until the stream ends by itself, failing if it does not end within {@code timeout}
   * or ends with an error.
   */
  static List<SseStream.Event> readToEnd(SseStream stream, Duration timeout) {
    List<SseStream.Event> events = new ArrayList<>();
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      Duration left = Duration.between(Instant.now(), deadline);
      if (left.isNegative()) {
        fail("SSE stream did not end within " + timeout + "; events so far: " + events);
      }
      SseStream.Event event;
      try {
        event = stream.poll(left);
      } catch (AssertionError ended) {
        assertNull(ended.getCause(), () -> "SSE stream failed after " + events + ": " + ended.getCause());
        return events;
      }
      if (event != null) {
        events.add(event);
      }
    }
  }

  /** The events that carry an id (all but live {@code token} events), asserting ids run on from {@code first}. */
  static List<SseStream.Event> numbered(List<SseStream.Event> events, long first) {
    List<SseStream.Event> out = new ArrayList<>();
    for (SseStream.Event e : events) {
      if ("token".equals(e.type())) {
        assertNull(e.id(), () -> "token events carry no id: " + e);
        continue;
      }
      assertNotNull(e.id(), () -> "event without id: " + e);
      long expected = first + out.size();
      assertEquals(expected, e.offset(), () -> "ids in order without gap or repeat: " + events);
      assertEquals(expected, e.json().get("seq").asLong(), () -> "data seq equals the id: " + e);
      out.add(e);
    }
    return out;
  }

  static List<String> types(List<SseStream.Event> events) {
    return events.stream().map(SseStream.Event::type).toList();
  }
}
