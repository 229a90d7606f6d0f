package io.troupe.http;

import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.awaitEnd;
import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.session;
import static io.troupe.http.AgentCalls.sessionRaw;
import static io.troupe.http.AgentCalls.start;
import static io.troupe.http.AgentCalls.toolThenAnswer;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.BrokerCalls.messages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Running sessions of scripted agents: results, tool calls, failures, parking, call_agent, cancel, 404s. */
@RunningNodeTest(config = {
    // A running session whose entity crashed is woken again by the reviver's next sweep of
    // sessions at least this old (10 s by default).
    "troupe.sessions.revive-interval = 200ms"})
class SessionRoutesTest {

  @FromNode private static RunningNode node;
  @FromNode private static HttpClientForTests http;

  @Test
  void sessionPublishesThroughItsToolAndCompletesWithItsFigures() {
    String name = uniqueName("notifier");
    String topic = uniqueName("alerts");
    define(http, name, scripted("Notifier", List.of("publish_to_topic", "read_topic"), toolThenAnswer("Publishing.",
        "publish_to_topic", "{\"topic\":\"" + topic + "\",\"messageType\":\"alert\",\"content\":{\"level\":\"high\"}}",
        "Done.")));
    Instant before = Instant.now().minusSeconds(1);
    String id = start(http, name, "raise the alert for " + name);

    JsonNode view = awaitStatus(http, id, "COMPLETED");
    assertEquals(id, view.get("sessionId").asText());
    assertEquals(name, view.get("agentName").asText());
    assertEquals("raise the alert for " + name, view.get("input").asText());
    assertEquals("tester", view.get("userId").asText());
    assertEquals("Done.", view.get("output").asText());
    assertTrue(view.get("error").isNull(), view::toString);
    assertEquals(2, view.get("iterations").asInt());
    assertEquals(2, view.get("llmCalls").asInt());
    assertTrue(view.get("inputTokens").asLong() > 0, view::toString);
    assertTrue(view.get("outputTokens").asLong() > 0, view::toString);
    assertEquals(0, view.get("cacheHits").asInt(), "nothing was asked before");
    assertEquals(0, view.get("cacheMisses").asInt(), "scripted replies are never cached (the script is not in a key)");
    Instant startedAt = Instant.parse(view.get("startedAt").asText());
    Instant endedAt = Instant.parse(view.get("endedAt").asText());
    assertTrue(!startedAt.isBefore(before) && !endedAt.isBefore(startedAt), view::toString);
    assertEquals(endedAt.toEpochMilli() - startedAt.toEpochMilli(), view.get("durationMillis").asLong());

    JsonNode calls = view.get("toolCalls");
    assertEquals(1, calls.size(), calls::toString);
    JsonNode call = calls.get(0);
    assertEquals("publish_to_topic", call.get("name").asText());
    assertEquals("OK", call.get("outcome").asText());
    assertEquals(1, call.get("iteration").asInt());
    assertNotNull(call.get("callId").asText());
    assertEquals(topic, AgentCalls.parse(call.get("argumentsJson").asText()).get("topic").asText());
    JsonNode result = AgentCalls.parse(call.get("result").asText());
    assertEquals(topic, result.get("topic").asText());
    assertEquals(1, result.get("offset").asLong());
    assertTrue(call.get("error").isNull());

    JsonNode stored = messages(http, topic, "").get("messages");
    assertEquals(1, stored.size(), stored::toString);
    assertEquals("agent:" + name, stored.get(0).get("sender").asText());
    assertEquals("alert", stored.get(0).get("messageType").asText());
    assertEquals("high", stored.get(0).get("content").get("level").asText());
  }

  @Test
  void scriptedAgentsAlikeButForTheirScriptsEachGetTheirOwnReplies() {
    String first = uniqueName("twin");
    String second = uniqueName("twin");
    define(node.http, first, scripted("Twin", List.of(), "[{\"text\":\"first script\"}]"));
    define(node.http, second, scripted("Twin", List.of(), "[{\"text\":\"second script\"}]"));
    assertEquals("first script", awaitEnd(node.http, start(node.http, first, "same input")).get("output").asText());
    assertEquals("second script", awaitEnd(node.http, start(node.http, second, "same input")).get("output").asText(),
        "no reply of another script comes from the response cache");
  }

  @Test
  void reachingMaxIterationsIsAnError() {
    String name = uniqueName("looper");
    String read = "{\"name\":\"read_topic\",\"arguments\":{\"topic\":\"loop-topic\"}}";
    ObjectNode definition = scripted("Looper", List.of("read_topic"),
        "[{\"toolCalls\":[" + read + "]},{\"toolCalls\":[" + read + "]},{\"toolCalls\":[" + read + "]},{\"text\":\"never\"}]");
    definition.put("maxIterations", 2);
    define(http, name, definition);
    JsonNode view = awaitStatus(http, start(http, name, "loop " + name), "ERROR");
    assertTrue(view.get("error").asText().contains("maxIterations"), view::toString);
    assertEquals(2, view.get("iterations").asInt());
    assertEquals(2, view.get("toolCalls").size());
    assertTrue(view.get("output").isNull());
    assertNotNull(view.get("endedAt").textValue());
  }

  @Test
  void aToolErrorIsAnOutcomeAndTheSessionGoesOn() {
    String name = uniqueName("clumsy");
    String topic = uniqueName("untouched");
    define(http, name, scripted("Clumsy", List.of("read_topic"),
        "[{\"text\":\"Trying.\",\"toolCalls\":[{\"name\":\"read_topic\",\"arguments\":{\"topic\":\"bad name\"}},"
            + "{\"name\":\"publish_to_topic\",\"arguments\":{\"topic\":\"" + topic + "\",\"messageType\":\"m\",\"content\":1}}]},"
            + "{\"text\":\"Recovered.\"}]"));
    JsonNode view = awaitStatus(http, start(http, name, "try " + name), "COMPLETED");
    assertEquals("Recovered.", view.get("output").asText());
    JsonNode calls = view.get("toolCalls");
    assertEquals(2, calls.size(), calls::toString);
    assertEquals("ERROR", calls.get(0).get("outcome").asText(), calls::toString);
    assertFalse(calls.get(0).get("error").asText().isBlank());
    assertTrue(calls.get(0).get("result").isNull());
    assertEquals("ERROR", calls.get(1).get("outcome").asText(), "a tool the agent lacks is an error outcome");
    assertTrue(calls.get(1).get("error").asText().contains("not available"), calls::toString);
    assertEquals(0, messages(http, topic, "").get("messages").size(), "the unavailable tool did not run");
  }

  @Test
  void aScriptTooShortIsAnErrorNamingTheScriptedProvider() {
    String name = uniqueName("short");
    define(http, name, scripted("Short", List.of("read_topic"),
        "[{\"toolCalls\":[{\"name\":\"read_topic\",\"arguments\":{\"topic\":\"short-topic\"}}]}]"));
    JsonNode view = awaitStatus(http, start(http, name, "go " + name), "ERROR");
    assertTrue(view.get("error").asText().contains("scripted"), view::toString);
    assertEquals(1, view.get("iterations").asInt());
    assertEquals("OK", view.get("toolCalls").get(0).get("outcome").asText());
  }

  @Test
  void callAgentRunsAnotherAgentAndReturnsItsOutput() {
    String callee = uniqueName("callee");
    String caller = uniqueName("caller");
    define(http, callee, answering("callee says hi to " + caller));
    define(http, caller, scripted("Caller", List.of("call_agent"), toolThenAnswer("Asking.", "call_agent",
        "{\"agent\":\"" + callee + "\",\"input\":\"hi\"}", "Asked.")));
    JsonNode view = awaitStatus(http, start(http, caller, "ask " + caller), "COMPLETED");
    assertEquals("Asked.", view.get("output").asText());
    JsonNode call = view.get("toolCalls").get(0);
    assertEquals("OK", call.get("outcome").asText(), call::toString);
    JsonNode result = AgentCalls.parse(call.get("result").asText());
    assertEquals("callee says hi to " + caller, result.get("output").asText());

    String childId = result.get("sessionId").asText();
    JsonNode child = session(http, childId);
    assertEquals("COMPLETED", child.get("status").asText());
    assertEquals(callee, child.get("agentName").asText());
    assertEquals("hi", child.get("input").asText());
    // The child runs for (and is charged to) the same user as the session that called it.
    assertEquals(view.get("userId").asText(), child.get("userId").asText());
    assertEquals("tester", child.get("userId").asText());
    Eventually.holds("the child session is listed", () -> {
      List<String> calleeSessions = new ArrayList<>();
      http.get("/api/v1/agents/" + callee + "/sessions").json().get("sessions")
          .forEach(s -> calleeSessions.add(s.get("sessionId").asText()));
      assertEquals(List.of(childId), calleeSessions);
    });
  }

  @Test
  void callAgentOnItselfOrAnUnknownAgentIsAnErrorOutcome() {
    String name = uniqueName("narcissus");
    String ghost = uniqueName("ghost");
    define(http, name, scripted("Narcissus", List.of("call_agent"),
        "[{\"toolCalls\":[{\"name\":\"call_agent\",\"arguments\":{\"agent\":\"" + name + "\",\"input\":\"me\"}},"
            + "{\"name\":\"call_agent\",\"arguments\":{\"agent\":\"" + ghost + "\",\"input\":\"you\"}}]},"
            + "{\"text\":\"Alone.\"}]"));
    JsonNode view = awaitStatus(http, start(http, name, "call " + name), "COMPLETED");
    JsonNode calls = view.get("toolCalls");
    assertEquals("ERROR", calls.get(0).get("outcome").asText(), calls::toString);
    assertTrue(calls.get(0).get("error").asText().contains("itself"), calls::toString);
    assertEquals("ERROR", calls.get(1).get("outcome").asText(), calls::toString);
    assertTrue(calls.get(1).get("error").asText().contains(ghost), calls::toString);
    assertEquals("Alone.", view.get("output").asText());
    Eventually.holds("the session is listed", () -> assertEquals(1,
        http.get("/api/v1/agents/" + name + "/sessions").json().get("sessions").size(), "calling itself started no session"));
    assertProblem(http.get("/api/v1/agents/" + ghost), 404);
  }

  /**
   * A session whose step takes its entity down every time (here a tool throwing an Error on the
   * entity's thread) is not retried forever: it is parked, shown and listed FAILED_RECOVERY with
   * its reason, and an owner's cancel ends it.
   */
  @Test
  void aSessionWhoseStepCrashesItsEntityIsParkedListedAndCancellable() {
    node.node.tools().register(new io.troupe.runtime.tool.Tool() {
      @Override
      public String name() {
        return "crash_the_entity";
      }

      @Override
      public String description() {
        return "throws an Error on the caller's thread";
      }

      @Override
      public JsonNode parameters() {
        return Json.MAPPER.createObjectNode().put("type", "object");
      }

      @Override
      public java.util.concurrent.CompletionStage<JsonNode> call(io.troupe.runtime.tool.ToolContext context,
                                                                 JsonNode arguments) {
        throw new Error("the step took its entity down");
      }
    });
    String name = uniqueName("crasher");
    define(http, name, scripted("Crasher", List.of("crash_the_entity"),
        toolThenAnswer("Crashing.", "crash_the_entity", "{}", "never")));
    String id = start(http, name, "crash");

    JsonNode parked = awaitStatus(http, id, "FAILED_RECOVERY");
    assertTrue(parked.get("error").asText().startsWith("FAILED_RECOVERY: resumed 3 times in a row"), parked::toString);
    assertEquals(1, parked.get("toolCallCount").asInt(), "one call, tried four times, journaled once");
    Eventually.holds("the parked session is listed", () -> {
      JsonNode listed = http.get("/api/v1/sessions?status=FAILED_RECOVERY&agent=" + name).json().get("sessions");
      assertEquals(1, listed.size(), listed::toString);
      assertEquals(id, listed.get(0).get("sessionId").asText());
      assertEquals(parked.get("error"), listed.get(0).get("error"));
    });

    HttpClientForTests.Answer cancel = http.postJson("/api/v1/sessions/" + id + "/cancel", "");
    assertEquals(200, cancel.status(), cancel::body);
    assertEquals("CANCELLED", cancel.json().get("status").asText());
    assertEquals("CANCELLED", session(http, id).get("status").asText());
  }

  @Test
  void cancellingAFinishedSessionChangesNothing() {
    String name = uniqueName("finished");
    define(http, name, answering("finished already"));
    String id = start(http, name, "finish " + name);
    JsonNode done = awaitStatus(http, id, "COMPLETED");
    HttpClientForTests.Answer cancel = http.postJson("/api/v1/sessions/" + id + "/cancel", "");
    assertEquals(200, cancel.status(), cancel::body);
    assertEquals("COMPLETED", cancel.json().get("status").asText());
    assertEquals("finished already", cancel.json().get("output").asText());
    assertEquals(done.get("endedAt"), cancel.json().get("endedAt"));
    assertEquals(done, session(http, id), "the session is unchanged");
  }

  @Test
  void manySessionsOfOneAgentRunAtOnce() {
    String name = uniqueName("busy");
    define(http, name, scripted("Busy", List.of("read_topic"), toolThenAnswer("Reading.", "read_topic",
        "{\"topic\":\"busy-topic\"}", "Read.")));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(start(http, name, "busy " + i));
    }
    assertEquals(10, ids.stream().distinct().count(), "every session has its own id");
    for (String id : ids) {
      JsonNode view = awaitStatus(http, id, "COMPLETED");
      assertEquals("Read.", view.get("output").asText());
      assertEquals("OK", view.get("toolCalls").get(0).get("outcome").asText());
    }
  }

  @Test
  void unknownAndMalformedSessionIdsAre404() {
    for (String id : List.of("nope", "x~1-2", "x~0000000000001-zzzzzzzz", "a%20b~0000000000001-abcdef12",
        "nobody~0000000000001-abcdef12", "nobody~0000000000001-abcdef1234567890")) {
      assertProblem(sessionRaw(http, id), 404);
      assertProblem(http.get("/api/v1/sessions/" + id + "/events"), 404);
      assertProblem(http.postJson("/api/v1/sessions/" + id + "/cancel", "{}"), 404);
    }
    assertProblem(http.get("/api/v1/sessions/nope/elsewhere"), 404);
    // A well-formed but unknown id stays unknown after being looked up and cancelled.
    assertProblem(sessionRaw(http, "nobody~0000000000001-abcdef12"), 404);
    assertProblem(http.send("GET", "/api/v1/sessions/nobody~0000000000001-abcdef12", Map.of(), null), 404);
  }
}
