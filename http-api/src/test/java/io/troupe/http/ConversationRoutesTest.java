package io.troupe.http;

import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.events;
import static io.troupe.http.AgentCalls.readToEnd;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.session;
import static io.troupe.http.AgentCalls.start;
import static io.troupe.http.AgentCalls.types;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Sessions that wait for people, over HTTP: conversations (turns, messages, queueing, close, the
 * conversation as messages, turn events on SSE) and approvals of tool calls (listed, decided by
 * the owner or an administrator only, once; rejected and timed-out calls reach the model as
 * error results; decisions in the audit log). Waiting sessions leave memory after a second here,
 * so every decision and message below also starts a passivated session again.
 */
@RunningNodeTest(config = {
    "troupe.sessions.passivate-waiting-after = 1s",
    "troupe.sessions.revive-interval = 1s",
    "troupe.sessions.max-queued-messages = 2"})
class ConversationRoutesTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String PUBLISH_ARGS = "{\"topic\":\"%s\",\"messageType\":\"note\",\"content\":{\"n\":1}}";

  @FromNode private static HttpClientForTests http;

  private static ObjectNode conversational(List<String> tools, String script) {
    ObjectNode body = scripted("Conversation partner", tools, script);
    body.put("conversational", true);
    return body;
  }

  private static JsonNode awaitStatus(String id, String status) {
    return Eventually.await(WAIT, "session " + id + " is " + status, () -> {
      JsonNode view = session(http, id);
      return status.equals(view.get("status").asText()) ? Optional.of(view) : Optional.empty();
    });
  }

  private static HttpClientForTests.Answer message(HttpClientForTests client, String id, String input) {
    return client.postJson("/api/v1/sessions/" + id + "/messages",
        Json.MAPPER.createObjectNode().put("input", input).toString());
  }

  private static HttpClientForTests.Answer decide(HttpClientForTests client, String id, String callId, boolean approve,
                                                  String comment) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("approve", approve);
    if (comment != null) {
      body.put("comment", comment);
    }
    return client.postJson("/api/v1/sessions/" + id + "/approvals/" + callId, body.toString());
  }

  @Test
  void aConversationTakesTurnsKeepsItsHistoryAndEndsWhenClosed() {
    String agent = uniqueName("chat");
    define(http, agent, conversational(List.of(), "[{\"text\":\"first answer\"},{\"text\":\"second answer\"}]"));
    String id = start(http, agent, "hello");
    JsonNode waiting = awaitStatus(id, "WAITING_FOR_INPUT");
    assertTrue(waiting.get("conversational").asBoolean());
    assertEquals("first answer", waiting.get("output").asText());
    assertEquals(1, waiting.get("turnCount").asInt());
    assertEquals("first answer", waiting.get("turns").get(0).get("output").asText());

    HttpClientForTests.Answer sent = message(http, id, "and then?");
    assertEquals(202, sent.status(), sent::body);
    assertEquals(2, sent.json().get("turn").asInt());
    assertFalse(sent.json().get("queued").asBoolean());
    JsonNode second = Eventually.await(WAIT, "turn 2 ends", () -> {
      JsonNode view = session(http, id);
      return view.get("turnCount").asInt() == 2 && "WAITING_FOR_INPUT".equals(view.get("status").asText())
          ? Optional.of(view) : Optional.empty();
    });
    JsonNode turn2 = second.get("turns").get(1);
    assertEquals("and then?", turn2.get("input").asText());
    assertEquals("second answer", turn2.get("output").asText());
    assertEquals(1, turn2.get("llmCalls").asInt());
    assertTrue(turn2.get("inputTokens").asLong() > 0, turn2::toString);

    // The whole history went to the model in turn 2, and the conversation reads back as messages.
    JsonNode page = http.get("/api/v1/sessions/" + id + "/messages").json();
    assertEquals(5, page.get("total").asInt(), page::toString);
    List<String> roles = new ArrayList<>();
    page.get("messages").forEach(m -> roles.add(m.get("role").asText()));
    assertEquals(List.of("system", "user", "assistant", "user", "assistant"), roles);
    assertEquals("and then?", page.get("messages").get(3).get("content").asText());
    JsonNode paged = http.get("/api/v1/sessions/" + id + "/messages?from=3&limit=1").json();
    assertEquals(1, paged.get("messages").size());
    assertEquals(4, paged.get("next").asInt());
    assertInvalid(http.get("/api/v1/sessions/" + id + "/messages?limit=0"), "limit");

    HttpClientForTests.Answer closed = http.postJson("/api/v1/sessions/" + id + "/close", "{}");
    assertEquals(200, closed.status(), closed::body);
    assertEquals("COMPLETED", closed.json().get("status").asText());
    assertEquals("second answer", closed.json().get("output").asText());
    JsonNode refused = assertProblem(message(http, id, "anyone there?"), 409);
    assertTrue(refused.get("detail").asText().contains("has ended"), refused::toString);

    try (SseStream stream = events(http, id, "", Map.of())) {
      List<SseStream.Event> all = readToEnd(stream, WAIT);
      assertEquals(List.of("start", "turn_start", "metadata", "turn_end", "turn_start", "metadata", "turn_end", "done"),
          types(all).stream().filter(t -> !"token".equals(t)).toList());
      SseStream.Event done = all.get(all.size() - 1);
      assertEquals("closed", done.json().get("closed").asText());
    }
  }

  @Test
  void aOneShotSessionTakesNoMessageAndAMissingInputIsA400() {
    String agent = uniqueName("oneshot");
    define(http, agent, scripted("One shot", List.of(), "[{\"text\":\"done\"}]"));
    String id = start(http, agent, "once");
    awaitStatus(id, "COMPLETED");
    JsonNode refused = assertProblem(message(http, id, "again"), 409);
    assertTrue(refused.get("detail").asText().contains("not a conversation"), refused::toString);
    assertInvalid(http.postJson("/api/v1/sessions/" + id + "/messages", "{}"), "input");
    assertProblem(message(http, agent + "~0000000000000-0000000000000000", "x"), 404);
  }

  @Test
  void anApprovedCallRunsOnceAndMessagesSentMeanwhileWaitTheirTurn() {
    String topic = uniqueName("approved");
    String agent = uniqueName("careful");
    ObjectNode def = conversational(List.of("publish_to_topic"), "[{\"text\":\"Publishing.\",\"toolCalls\":[{\"name\":"
        + "\"publish_to_topic\",\"arguments\":" + String.format(PUBLISH_ARGS, topic) + "}]},{\"text\":\"Published.\"},"
        + "{\"text\":\"Queued one answered.\"}]");
    def.putArray("approvalRequired").add("publish_to_topic");
    define(http, agent, def);
    String id = start(http, agent, "publish it");
    JsonNode awaiting = awaitStatus(id, "AWAITING_APPROVAL");
    JsonNode pending = awaiting.get("pendingApproval");
    assertEquals("publish_to_topic", pending.get("tool").asText());
    String callId = pending.get("callId").asText();
    assertEquals(0, BrokerCalls.messages(http, topic, "?from=1").get("messages").size(), "nothing ran yet");

    // Listed for the deciders (the read side trails the journal by about a second).
    JsonNode listed = Eventually.await(WAIT, "the approval is listed", () -> {
      JsonNode approvals = http.get("/api/v1/approvals?session=" + id).json().get("approvals");
      return approvals.size() == 1 ? Optional.of(approvals.get(0)) : Optional.empty();
    });
    assertEquals(callId, listed.get("callId").asText());
    assertEquals(agent, listed.get("agentName").asText());

    // A message while it waits is queued, in order; past the bound (2 here) it is refused.
    HttpClientForTests.Answer queued = message(http, id, "next question");
    assertEquals(202, queued.status(), queued::body);
    assertTrue(queued.json().get("queued").asBoolean());
    assertEquals(2, queued.json().get("turn").asInt());
    assertEquals(202, message(http, id, "third question").status());
    JsonNode full = assertProblem(message(http, id, "one too many"), 409);
    assertTrue(full.get("detail").asText().contains("max-queued-messages"), full::toString);

    // Others may not decide; a bad body is a 400 and decides nothing.
    SecurityCalls.UserKey other = SecurityCalls.userWithKey(http, "Other", "USER");
    assertProblem(decide(http.as(other.key()), id, callId, true, null), 403);
    SecurityCalls.UserKey observer = SecurityCalls.userWithKey(http, "Observer", "READONLY");
    assertProblem(decide(http.as(observer.key()), id, callId, true, null), 403);
    assertProblem(http.as(observer.key()).get("/api/v1/approvals"), 403);
    assertEquals(0, http.as(other.key()).get("/api/v1/approvals").json().get("approvals").size(),
        "a user sees only the approvals of its own sessions");
    assertInvalid(http.postJson("/api/v1/sessions/" + id + "/approvals/" + callId, "{\"approve\":\"yes\"}"), "approve");
    assertProblem(decide(http, id, "no-such-call", true, null), 404);

    HttpClientForTests.Answer approved = decide(http, id, callId, true, "go ahead");
    assertEquals(200, approved.status(), approved::body);
    JsonNode again = assertProblem(decide(http, id, callId, false, null), 409);
    assertTrue(again.get("detail").asText().contains("decided already: APPROVED by"), again::toString);

    // Turn 1 ends, then the queued message runs as turn 2; the third waits as turn 3 needs a reply the script lacks.
    JsonNode after = Eventually.await(WAIT, "the queued message ran", () -> {
      JsonNode view = session(http, id);
      return view.get("turnCount").asInt() >= 2 && view.get("turns").get(1).get("output").isTextual()
          ? Optional.of(view) : Optional.empty();
    });
    assertEquals("Published.", after.get("turns").get(0).get("output").asText());
    assertEquals("next question", after.get("turns").get(1).get("input").asText());
    assertEquals("Queued one answered.", after.get("turns").get(1).get("output").asText());
    assertEquals(1, BrokerCalls.messages(http, topic, "?from=1").get("messages").size(), "the call ran once");
    assertEquals("APPROVED", after.get("approvals").get(0).get("decision").asText());
    assertEquals("go ahead", after.get("approvals").get(0).get("comment").asText());

    JsonNode audited = Eventually.await(WAIT, "the decision is audited", () -> {
      JsonNode entries = http.get("/api/v1/security/audit?action=DECIDE%20approval").json().get("entries");
      for (JsonNode e : entries) {
        if (e.get("resource").asText().contains(id)) {
          return Optional.of(e);
        }
      }
      return Optional.empty();
    });
    assertEquals("APPROVED tool call " + callId + ": go ahead", audited.get("detail").asText());
    assertEquals("admin", audited.get("userId").asText());
  }

  @Test
  void aRejectedCallIsNotRunAndTheModelIsToldWhoRejectedIt() {
    String topic = uniqueName("rejected");
    String agent = uniqueName("refused");
    ObjectNode def = scripted("Asker", List.of("publish_to_topic"), AgentCalls.toolThenAnswer("Publishing.",
        "publish_to_topic", String.format(PUBLISH_ARGS, topic), "Understood."));
    def.putArray("approvalRequired").add("*");
    define(http, agent, def);
    String id = start(http, agent, "publish it");
    String callId = awaitStatus(id, "AWAITING_APPROVAL").get("pendingApproval").get("callId").asText();
    assertEquals(200, decide(http, id, callId, false, "not today").status());
    JsonNode done = awaitStatus(id, "COMPLETED");
    JsonNode call = done.get("toolCalls").get(0);
    assertEquals("ERROR", call.get("outcome").asText());
    assertTrue(call.get("error").asText().contains("rejected by admin: not today"), call::toString);
    assertEquals(0, BrokerCalls.messages(http, topic, "?from=1").get("messages").size(), "a rejected call never runs");
    JsonNode messages = http.get("/api/v1/sessions/" + id + "/messages").json().get("messages");
    assertEquals("tool", messages.get(3).get("role").asText());
    assertTrue(messages.get(3).get("content").asText().contains("rejected by admin"), messages::toString);
  }

  @Test
  void aCallNobodyDecidesIsRejectedAtItsTimeoutEvenOutOfMemory() {
    String topic = uniqueName("timeout");
    String agent = uniqueName("patient");
    ObjectNode def = scripted("Waiter", List.of("publish_to_topic"), AgentCalls.toolThenAnswer("Publishing.",
        "publish_to_topic", String.format(PUBLISH_ARGS, topic), "Nobody answered."));
    def.putArray("approvalRequired").add("publish_to_topic");
    def.put("approvalTimeoutSeconds", 3); // passivated after 1 s: the reviver wakes it for the timeout
    define(http, agent, def);
    String id = start(http, agent, "publish it");
    awaitStatus(id, "AWAITING_APPROVAL");
    JsonNode done = awaitStatus(id, "COMPLETED");
    assertEquals("TIMED_OUT", done.get("approvals").get(0).get("decision").asText());
    assertTrue(done.get("toolCalls").get(0).get("error").asText().contains("reason: timeout"), done::toString);
    assertEquals(0, BrokerCalls.messages(http, topic, "?from=1").get("messages").size());
  }

  @Test
  void anotherUsersConversationCannotBeContinuedOrClosed() {
    String agent = uniqueName("private-chat");
    define(http, agent, conversational(List.of(), "[{\"text\":\"hi\"}]"));
    String id = start(http, agent, "hello");
    awaitStatus(id, "WAITING_FOR_INPUT");
    SecurityCalls.UserKey other = SecurityCalls.userWithKey(http, "Stranger", "USER");
    // start() runs the session for user "tester" (an admin may name one): a USER that is not it is refused.
    assertProblem(message(http.as(other.key()), id, "hijack"), 403);
    assertProblem(http.as(other.key()).postJson("/api/v1/sessions/" + id + "/close", "{}"), 403);
    assertProblem(http.as(other.key()).get("/api/v1/sessions/" + id + "/messages"), 403);
    assertEquals("WAITING_FOR_INPUT", session(http, id).get("status").asText());
  }
}
