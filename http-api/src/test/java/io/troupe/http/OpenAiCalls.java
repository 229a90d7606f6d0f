package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Calls of the OpenAI-compatible door the tests share. */
final class OpenAiCalls {

  static final String COMPLETIONS = "/v1/chat/completions";
  static final String SESSION = "X-Troupe-Session";

  private OpenAiCalls() {}

  /** A request body: {@code model} and one user message. */
  static ObjectNode ask(String model, String text) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("model", model);
    body.putArray("messages").addObject().put("role", "user").put("content", text);
    return body;
  }

  /** {@link #ask} with stream: true (and include_usage when asked). */
  static ObjectNode askStreaming(String model, String text, boolean includeUsage) {
    ObjectNode body = ask(model, text).put("stream", true);
    if (includeUsage) {
      body.putObject("stream_options").put("include_usage", true);
    }
    return body;
  }

  /** Appends a message to a body's messages. */
  static ObjectNode with(ObjectNode body, String role, String content) {
    ((ArrayNode) body.get("messages")).addObject().put("role", role).put("content", content);
    return body;
  }

  static HttpClientForTests.Answer complete(HttpClientForTests http, JsonNode body) {
    return complete(http, body, null);
  }

  /** POST /v1/chat/completions, continuing {@code sessionId} when it is not null. */
  static HttpClientForTests.Answer complete(HttpClientForTests http, JsonNode body, String sessionId) {
    Map<String, String> headers = new HashMap<>();
    headers.put("Content-Type", "application/json");
    if (sessionId != null) {
      headers.put(SESSION, sessionId);
    }
    return http.send("POST", COMPLETIONS, headers, body.toString());
  }

  /** Asserts a 200 chat.completion; answers it. */
  static JsonNode assertCompletion(HttpClientForTests.Answer answer, String model, String content) {
    assertEquals(200, answer.status(), answer::body);
    assertTrue(answer.contentType().startsWith("application/json"), answer::contentType);
    JsonNode completion = answer.json();
    assertEquals("chat.completion", completion.get("object").asText());
    assertTrue(completion.get("id").asText().startsWith("chatcmpl-"), completion::toString);
    assertTrue(completion.get("created").asLong() > 1_700_000_000L, completion::toString);
    assertEquals(model, completion.get("model").asText());
    assertEquals(1, completion.get("choices").size());
    JsonNode choice = completion.get("choices").get(0);
    assertEquals(0, choice.get("index").asInt());
    assertEquals("assistant", choice.get("message").get("role").asText());
    assertEquals(content, choice.get("message").get("content").asText());
    assertEquals("stop", choice.get("finish_reason").asText());
    JsonNode usage = completion.get("usage");
    assertTrue(usage.get("prompt_tokens").asLong() > 0, usage::toString);
    assertTrue(usage.get("completion_tokens").asLong() > 0, usage::toString);
    assertEquals(usage.get("prompt_tokens").asLong() + usage.get("completion_tokens").asLong(),
        usage.get("total_tokens").asLong());
    String session = answer.header(SESSION);
    assertNotNull(session, "the answer names its session in " + SESSION);
    assertTrue(session.startsWith(model + "~"), session);
    return completion;
  }

  /**
   * Asserts an error in OpenAI's shape ({"error":{"message","type","param","code"}}, JSON, never
   * problem+json) with {@code status} and {@code code}; answers the error object.
   */
  static JsonNode assertOpenAiError(HttpClientForTests.Answer answer, int status, String code) {
    assertEquals(status, answer.status(), answer::body);
    assertTrue(answer.contentType().startsWith("application/json"),
        () -> "Content-Type was " + answer.contentType() + " for " + answer.body());
    JsonNode body = answer.json();
    assertEquals(1, body.size(), () -> "only the error member: " + body);
    JsonNode error = body.get("error");
    assertNotNull(error, body::toString);
    for (String member : List.of("message", "type", "param", "code")) {
      assertTrue(error.has(member), () -> "error lacks " + member + ": " + body);
    }
    assertFalse(error.get("message").asText().isBlank(), body::toString);
    assertFalse(error.get("type").asText().isBlank(), body::toString);
    assertEquals(code, error.get("code").isNull() ? null : error.get("code").asText(), body::toString);
    return error;
  }

  /** The data of each SSE event of a stream's whole body, in order (comments left out). */
  static List<String> events(String body) {
    List<String> data = new ArrayList<>();
    for (String event : body.split("\n\n")) {
      StringBuilder payload = new StringBuilder();
      for (String line : event.split("\n")) {
        if (line.startsWith("data: ")) {
          payload.append(line.substring("data: ".length()));
        } else {
          assertTrue(line.isEmpty() || line.startsWith(":"), () -> "unexpected SSE line '" + line + "' in " + body);
        }
      }
      if (!payload.isEmpty()) {
        data.add(payload.toString());
      }
    }
    return data;
  }

  /** The chunks of a stream that ended with [DONE], as JSON (asserting that it did). */
  static List<JsonNode> chunks(HttpClientForTests.Answer answer) {
    assertEquals(200, answer.status(), answer::body);
    assertTrue(answer.contentType().startsWith("text/event-stream"), answer::contentType);
    List<String> data = events(answer.body());
    assertFalse(data.isEmpty(), answer::body);
    assertEquals("[DONE]", data.get(data.size() - 1), answer::body);
    List<JsonNode> chunks = new ArrayList<>();
    for (String d : data.subList(0, data.size() - 1)) {
      JsonNode chunk = AgentCalls.parse(d);
      assertEquals("chat.completion.chunk", chunk.get("object").asText(), d);
      chunks.add(chunk);
    }
    return chunks;
  }

  /** The text the content deltas of {@code chunks} add up to. */
  static String text(List<JsonNode> chunks) {
    StringBuilder text = new StringBuilder();
    for (JsonNode chunk : chunks) {
      for (JsonNode choice : chunk.get("choices")) {
        JsonNode content = choice.path("delta").get("content");
        if (content != null && content.isTextual()) {
          text.append(content.asText());
        }
      }
    }
    return text.toString();
  }
}
