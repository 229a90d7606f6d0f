package io.troupe.http;

import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.messagesPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's "one USER takes the node down", scaled to this JVM's heap: one user's scripted agent
 * asks in each reply for so many {@code read_topic} calls on a topic of large messages that three
 * sessions would hold more than the whole heap if every result were kept. With the session bounds
 * (default settings) the node stays ready, each session ends ERROR at its state bound, holding
 * and journaling only bounded results, its view is small, and another user is served meanwhile.
 */
@RunningNodeTest
class SessionFloodTest {

  private static final int MESSAGE_CHARS = 400_000;
  private static final int REPLIES = 4;
  private static final int SESSIONS = 3;

  @FromNode private static RunningNode node;
  @FromNode private static HttpClientForTests admin;

  @Test
  void oneUsersFloodOfLargeToolResultsNeitherTakesTheNodeDownNorLocksOthersOut() throws Exception {
    HttpClientForTests attacker = admin.as(SecurityCalls.userWithKey(admin, "Mallory", "USER").key());
    HttpClientForTests other = admin.as(SecurityCalls.userWithKey(admin, "Olga", "USER").key());

    String topic = uniqueName("big");
    String large = "{\"sender\":\"mallory\",\"messageType\":\"blob\",\"content\":{\"blob\":\"" + "x".repeat(MESSAGE_CHARS)
        + "\"}}";
    for (int i = 0; i < 3; i++) {
      assertEquals(201, attacker.postJson(messagesPath(topic), large).status());
    }

    // Unbounded, every call would keep a whole page (one message of 400 KB): more than the heap in all.
    long perCall = MESSAGE_CHARS;
    int callsPerReply = (int) Math.max(200, Math.min(1500,
        Runtime.getRuntime().maxMemory() / (perCall * SESSIONS * REPLIES) + 1));
    String read = "{\"name\":\"read_topic\",\"arguments\":{\"topic\":\"" + topic + "\"}}";
    String reply = "{\"toolCalls\":[" + String.join(",", Collections.nCopies(callsPerReply, read)) + "]}";
    String script = "[" + String.join(",", Collections.nCopies(REPLIES, reply)) + ",{\"text\":\"never\"}]";
    String agent = uniqueName("flood");
    define(attacker, agent, scripted("Flood", List.of("read_topic"), script));
    List<String> floods = new ArrayList<>();
    for (int i = 0; i < SESSIONS; i++) {
      floods.add(startOwn(attacker, agent, "flood " + i));
    }

    // Meanwhile another user publishes, reads and runs a session of its own, promptly.
    String otherTopic = uniqueName("olga");
    long t0 = System.nanoTime();
    HttpClientForTests.Answer published = other.postJson(messagesPath(otherTopic),
        BrokerCalls.body("olga", null, "note", "{\"n\":1}"));
    assertEquals(201, published.status(), published::body);
    assertEquals(1, AgentCalls.parse(other.get(messagesPath(otherTopic)).body()).get("messages").size());
    String helper = uniqueName("helper");
    define(other, helper, AgentCalls.answering("served " + helper));
    JsonNode served = awaitStatus(other, startOwn(other, helper, "help"), "COMPLETED");
    assertEquals("served " + helper, served.get("output").asText());
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "the other user was served in " + took);

    for (String id : floods) {
      HttpClientForTests.Answer answer = Eventually.await(Duration.ofSeconds(90), "flood " + id + " ends", () -> {
        HttpClientForTests.Answer a = attacker.get("/api/v1/sessions/" + id);
        return "RUNNING".equals(a.json().get("status").asText()) ? java.util.Optional.empty() : java.util.Optional.of(a);
      });
      JsonNode view = answer.json();
      assertEquals("ERROR", view.get("status").asText(), () -> id + ": " + abbreviate(answer.body()));
      assertTrue(view.get("error").asText().startsWith("STATE_TOO_LARGE: "), view.get("error")::asText);
      assertTrue(answer.body().length() < 512 * 1024, "the view of " + id + " is " + answer.body().length() + " chars");
      assertEquals(20, view.get("toolCalls").size());
      int count = view.get("toolCallCount").asInt();
      assertTrue(count > 16 && count <= REPLIES * callsPerReply, "calls recorded: " + count);
      // At most 16 calls of a reply ran (each cut to 64 KiB); the rest were refused.
      JsonNode refused = AgentCalls.parse(attacker.get("/api/v1/sessions/" + id + "?toolCallsFrom=16&toolCallsLimit=1")
          .body()).get("toolCalls").get(0);
      assertEquals("ERROR", refused.get("outcome").asText(), refused::toString);
      assertTrue(refused.get("error").asText().contains("at most 16 tool calls"), refused::toString);
    }

    // The journal holds each tool result cut to 64 KiB (plus the event's own fields).
    long largestResult = node.node.database().query(c -> {
      try (var s = c.prepareStatement("SELECT coalesce(max(length(event_payload)), 0) FROM event_journal"
          + " WHERE persistence_id LIKE ? AND event_ser_manifest LIKE '%ToolCallCompleted%'")) {
        s.setString(1, "Session|" + agent + "~%");
        try (var rs = s.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(largestResult > 60 * 1024 && largestResult < 64 * 1024 + 1024, "largest tool result event: " + largestResult);

    assertEquals(200, admin.get("/health/ready").status(), "the node is still ready");
    assertEquals(200, other.get(messagesPath(otherTopic)).status(), "and still serves the other user");
  }

  /** Starts a session as the key's own user; answers its id. */
  private static String startOwn(HttpClientForTests http, String agent, String input) {
    HttpClientForTests.Answer answer = AgentCalls.startRaw(http, agent,
        Json.MAPPER.createObjectNode().put("input", input).toString());
    assertEquals(202, answer.status(), answer::body);
    return answer.json().get("sessionId").asText();
  }

  private static String abbreviate(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 2000) + "…";
  }
}
