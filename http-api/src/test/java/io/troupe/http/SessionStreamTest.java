package io.troupe.http;

import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.events;
import static io.troupe.http.AgentCalls.numbered;
import static io.troupe.http.AgentCalls.readToEnd;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.session;
import static io.troupe.http.AgentCalls.start;
import static io.troupe.http.AgentCalls.toolThenAnswer;
import static io.troupe.http.AgentCalls.types;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * GET /api/v1/sessions/{id}/events: a session's events as SSE, replayed with ids 1..n and ending
 * by itself, resumable; and live for running sessions, whose model (an OpenAI-compatible stand-in
 * on loopback) answers only when the test lets it. Cancelling a running session is here too.
 */
@RunningNodeTest
class SessionStreamTest {

  private static final Duration END_TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> NOTIFIER_EVENTS =
      List.of("start", "metadata", "tool_start", "tool_end", "metadata", "done");

  private static HeldModel model;
  @FromNode private static HttpClientForTests http;
  private static String notifier;

  /** The node's OpenAI-compatible model is the held stand-in, started here, before the node. */
  static Map<String, Object> nodeConfig() throws IOException {
    model = new HeldModel();
    // Per user, model_running allows the 30 subscription starts of the fan-out test at once.
    return Map.of("troupe.llm.openai.base-url", model.baseUrl(), "troupe.llm.max-attempts", 1,
        "troupe.rate-limits.per-user.model_running.per-minute", 1000,
        "troupe.rate-limits.per-user.model_running.per-hour", 10000);
  }

  @BeforeAll
  static void defineNotifier() {
    notifier = uniqueName("stream-notifier");
    define(http, notifier, scripted("Notifier", List.of("publish_to_topic"), toolThenAnswer("Publishing.",
        "publish_to_topic", "{\"topic\":\"stream-alerts\",\"messageType\":\"alert\",\"content\":{\"level\":\"high\"}}",
        "Done.")));
  }

  @AfterAll
  static void stopModel() {
    if (model != null) {
      model.close();
    }
  }

  private static String finishedSession() {
    String id = start(http, notifier, "notify " + uniqueName("input"));
    awaitStatus(http, id, "COMPLETED");
    return id;
  }

  @Test
  void aFinishedSessionReplaysEveryEventInOrderThenEnds() {
    String id = finishedSession();
    List<SseStream.Event> events;
    try (SseStream stream = events(http, id, "", Map.of())) {
      events = numbered(readToEnd(stream, END_TIMEOUT), 1);
    }
    assertEquals(NOTIFIER_EVENTS, types(events));
    JsonNode start = events.get(0).json();
    assertEquals(notifier, start.get("agentName").asText());
    assertTrue(start.get("input").asText().startsWith("notify "));
    JsonNode first = events.get(1).json();
    assertEquals(1, first.get("iteration").asInt());
    assertEquals("Publishing.", first.get("text").asText());
    assertEquals("publish_to_topic", first.get("toolCalls").get(0).get("name").asText());
    JsonNode toolStart = events.get(2).json();
    JsonNode toolEnd = events.get(3).json();
    assertEquals("publish_to_topic", toolStart.get("name").asText());
    assertEquals(toolStart.get("callId"), toolEnd.get("callId"));
    assertTrue(toolEnd.get("ok").asBoolean(), toolEnd::toString);
    assertTrue(toolEnd.get("result").asText().contains("\"offset\""), toolEnd::toString);
    assertEquals(2, events.get(4).json().get("iteration").asInt());
    JsonNode done = events.get(5).json();
    assertEquals("COMPLETED", done.get("status").asText());
    assertEquals("Done.", done.get("output").asText());
  }

  @Test
  void lastEventIdResumesRightAfterItWithoutGapOrRepeat() {
    String id = finishedSession();
    for (int k = 0; k <= NOTIFIER_EVENTS.size(); k++) {
      // Last-Event-ID wins over from, as a reconnecting browser repeats the original URL.
      try (SseStream stream = events(http, id, "?from=1", Map.of("Last-Event-ID", Integer.toString(k)))) {
        List<SseStream.Event> events = numbered(readToEnd(stream, END_TIMEOUT), k + 1);
        assertEquals(NOTIFIER_EVENTS.subList(k, NOTIFIER_EVENTS.size()), types(events), "after Last-Event-ID " + k);
      }
    }
  }

  @Test
  void fromStartsAtTheGivenEvent() {
    String id = finishedSession();
    try (SseStream stream = events(http, id, "?from=3", Map.of())) {
      assertEquals(NOTIFIER_EVENTS.subList(2, 6), types(numbered(readToEnd(stream, END_TIMEOUT), 3)));
    }
    try (SseStream stream = events(http, id, "?from=7", Map.of())) {
      assertEquals(List.of(), readToEnd(stream, END_TIMEOUT), "nothing after the last event");
    }
    String path = "/api/v1/sessions/" + id + "/events";
    assertInvalid(http.get(path + "?from=0"), "from");
    assertInvalid(http.get(path + "?from=x"), "from");
    assertInvalid(http.send("GET", path, Map.of("Last-Event-ID", "x"), null), "Last-Event-ID");
    assertInvalid(http.send("GET", path, Map.of("Last-Event-ID", "-1"), null), "Last-Event-ID");
  }

  @Test
  void aStreamOpenedRightAfterStartingEndsWithDone() {
    for (int i = 0; i < 8; i++) {
      String id = start(http, notifier, "race " + uniqueName("input"));
      try (SseStream stream = events(http, id, "", Map.of())) {
        List<SseStream.Event> events = numbered(readToEnd(stream, END_TIMEOUT), 1);
        assertEquals(NOTIFIER_EVENTS, types(events), "round " + i);
      }
    }
  }

  private static String heldAgent() {
    String name = uniqueName("held");
    define(http, name, heldDefinition());
    return name;
  }

  private static ObjectNode heldDefinition() {
    return Json.MAPPER.createObjectNode().put("role", "Slow").put("provider", "openai").put("model", "held-model");
  }

  /**
   * Issue 13, point 10: a subscriber agent's fan-out is bounded. 30 messages at once start 8
   * sessions (troupe.sessions.max-concurrent-per-subscriber-agent); each that ends lets the next
   * message start, in offset order, until all 30 ran.
   */
  @Test
  void aSubscribingAgentRunsAtMostEightSessionsAtOnceAndEveryMessageInOrder() throws Exception {
    String topic = uniqueName("fan-out");
    String name = uniqueName("fan-out-held");
    ObjectNode definition = heldDefinition();
    definition.putArray("subscriptions").add(topic);
    define(http, name, definition);
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      JsonNode published = BrokerCalls.publish(http, topic, "{\"n\":" + i + "}");
      ids.add(io.troupe.runtime.agent.SessionIds.forMessage(name,
          java.time.Instant.parse(published.get("publishedAt").asText()).toEpochMilli(), topic,
          published.get("offset").asLong()));
    }
    for (int i = 0; i < 8; i++) {
      model.awaitRequest();
    }
    assertFalse(model.requestArrivesWithin(Duration.ofSeconds(2)), "a 9th session ran while 8 did");
    for (int i = 8; i < 30; i++) {
      model.releaseOne();
      model.awaitRequest(); // one ended, so one more started
    }
    for (int i = 0; i < 8; i++) {
      model.releaseOne();
    }
    java.time.Instant previous = java.time.Instant.EPOCH;
    for (String id : ids) {
      JsonNode view = awaitStatus(http, id, "COMPLETED");
      java.time.Instant startedAt = java.time.Instant.parse(view.get("startedAt").asText());
      assertFalse(startedAt.isBefore(previous), "started in offset order: " + id);
      previous = startedAt;
    }
    assertFalse(model.requestArrivesWithin(Duration.ofMillis(300)), "30 messages, 30 sessions");
  }

  /**
   * Issue 13, point 13: a user's concurrent sessions are bounded by their quota; the next start is
   * 429 naming the quota (and starts nothing) until one of theirs has ended.
   */
  @Test
  void aUsersConcurrentSessionsQuotaRefusesTheNextStartUntilOneEnds() throws Exception {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(http, "two at once", "USER");
    String quotas = "/api/v1/security/users/" + user.userId() + "/quotas";
    assertEquals(200, http.send("PUT", quotas, Map.of("Content-Type", "application/json"),
        "{\"concurrentSessions\": 2}").status());
    String name = uniqueName("held-shared");
    define(http, name, heldDefinition().put("shared", true));
    HttpClientForTests as = http.as(user.key());
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      HttpClientForTests.Answer started = AgentCalls.startRaw(as, name, "{\"input\": \"quota " + i + "\"}");
      assertEquals(202, started.status(), started::body);
      ids.add(started.json().get("sessionId").asText());
      model.awaitRequest();
    }
    HttpClientForTests.Answer third = AgentCalls.startRaw(as, name, "{\"input\": \"quota 2\"}");
    assertEquals(429, third.status(), third::body);
    assertEquals("application/problem+json", third.contentType());
    assertTrue(third.json().get("detail").asText().contains("its concurrentSessions quota is 2"), third.body());
    assertTrue(third.header("Retry-After") != null, "Retry-After");
    assertFalse(model.requestArrivesWithin(Duration.ofMillis(500)), "the refused start ran nothing");
    assertEquals(2, http.get(quotas).json().get("use").get("concurrentSessions").asInt());

    model.releaseOne();
    Eventually.await(END_TIMEOUT, "a slot freed", () ->
        http.get(quotas).json().get("use").get("concurrentSessions").asInt() == 1
            ? java.util.Optional.of(true) : java.util.Optional.empty());
    HttpClientForTests.Answer now = AgentCalls.startRaw(as, name, "{\"input\": \"quota 3\"}");
    assertEquals(202, now.status(), now::body);
    ids.add(now.json().get("sessionId").asText());
    model.awaitRequest();
    model.releaseOne();
    model.releaseOne();
    for (String id : ids) {
      awaitStatus(http, id, "COMPLETED");
    }
  }

  @Test
  void aRunningSessionStreamsLiveEventsAndTokensUntilDone() throws Exception {
    String name = heldAgent();
    String id = start(http, name, "take your time " + name);
    model.awaitRequest();
    assertEquals("RUNNING", session(http, id).get("status").asText());
    try (SseStream stream = events(http, id, "", Map.of())) {
      SseStream.Event started = stream.next(END_TIMEOUT);
      assertEquals("start", started.type());
      assertEquals("1", started.id());
      model.releaseOne();
      List<SseStream.Event> rest = readToEnd(stream, END_TIMEOUT);
      assertEquals(List.of("metadata", "done"), types(numbered(rest, 2)));
      String tokens = rest.stream().filter(e -> "token".equals(e.type()))
          .map(e -> e.json().get("text").asText()).collect(Collectors.joining());
      assertEquals(HeldModel.ANSWER, tokens, "the streamed text, live only: " + rest);
    }
    JsonNode view = awaitStatus(http, id, "COMPLETED");
    assertEquals(HeldModel.ANSWER, view.get("output").asText());
    assertEquals(12, view.get("inputTokens").asLong());
    assertEquals(3, view.get("outputTokens").asLong());
    // Replayed afterwards: the same numbered events, without the live-only tokens.
    try (SseStream replay = events(http, id, "", Map.of())) {
      List<SseStream.Event> events = readToEnd(replay, END_TIMEOUT);
      assertEquals(List.of("start", "metadata", "done"), types(numbered(events, 1)));
      assertEquals(3, events.size(), "no tokens in a replay: " + events);
    }
  }

  @Test
  void aStreamOfARunningSessionResumesAfterLastEventId() throws Exception {
    String name = heldAgent();
    String id = start(http, name, "resume " + name);
    model.awaitRequest();
    try (SseStream stream = events(http, id, "", Map.of("Last-Event-ID", "1"))) {
      assertEquals(null, stream.poll(Duration.ofMillis(300)), "nothing after event 1 yet");
      model.releaseOne();
      List<SseStream.Event> rest = numbered(readToEnd(stream, END_TIMEOUT), 2);
      assertEquals(List.of("metadata", "done"), types(rest));
    }
  }

  /**
   * Issue 13: cancelling the root of a call chain did not stop its children. Here top → middle →
   * leaf, the leaf waiting for its (held) model: cancelling top cancels middle and leaf too.
   */
  @Test
  void cancellingARootCancelsTheSessionsItsCallsStartedAllTheWayDown() throws Exception {
    String leaf = heldAgent();
    String middle = uniqueName("middle");
    define(http, middle, scripted("Middle", List.of("call_agent"), toolThenAnswer("Asking the leaf.", "call_agent",
        "{\"agent\":\"" + leaf + "\",\"input\":\"hold on\"}", "Middle done.")));
    String top = uniqueName("top");
    define(http, top, scripted("Top", List.of("call_agent"), toolThenAnswer("Asking the middle.", "call_agent",
        "{\"agent\":\"" + middle + "\",\"input\":\"go down\"}", "Top done.")));
    String rootId = start(http, top, "cascade " + top);
    model.awaitRequest(); // the leaf, two calls down, waits for its model
    try {
      String middleId = runningSessionOf(middle);
      String leafId = runningSessionOf(leaf);
      assertEquals(rootId, session(http, leafId).get("rootSessionId").asText());

      HttpClientForTests.Answer cancel = http.postJson("/api/v1/sessions/" + rootId + "/cancel", "");
      assertEquals(200, cancel.status(), cancel::body);
      assertEquals("CANCELLED", cancel.json().get("status").asText());
      for (String id : List.of(middleId, leafId)) {
        Eventually.await(Duration.ofSeconds(10), "session " + id + " cancelled with its root", () ->
            "CANCELLED".equals(session(http, id).get("status").asText())
                ? java.util.Optional.of(true) : java.util.Optional.empty());
      }
      assertEquals(0, session(http, leafId).get("iterations").asInt(), "the leaf never got its model's answer");
    } finally {
      model.releaseOne(); // the held reply comes back late: the cancelled leaf ignores it
    }
  }

  /** The one session of {@code agent}, once the read side lists it RUNNING. */
  private static String runningSessionOf(String agent) {
    return Eventually.await(Eventually.READ_SIDE, "a running session of " + agent, () -> {
      JsonNode sessions = http.get("/api/v1/agents/" + agent + "/sessions").json().get("sessions");
      return sessions.size() == 1 && "RUNNING".equals(sessions.get(0).get("status").asText())
          ? java.util.Optional.of(sessions.get(0).get("sessionId").asText()) : java.util.Optional.empty();
    });
  }

  @Test
  void cancellingARunningSessionEndsItAndItsStream() throws Exception {
    String name = heldAgent();
    String id = start(http, name, "cancel me " + name);
    model.awaitRequest();
    try (SseStream stream = events(http, id, "", Map.of())) {
      assertEquals("start", stream.next(END_TIMEOUT).type());
      HttpClientForTests.Answer cancel = http.postJson("/api/v1/sessions/" + id + "/cancel", "");
      assertEquals(200, cancel.status(), cancel::body);
      assertEquals("CANCELLED", cancel.json().get("status").asText());
      assertEquals("cancelled", cancel.json().get("error").asText());
      List<SseStream.Event> rest = numbered(readToEnd(stream, END_TIMEOUT), 2);
      assertEquals(List.of("error"), types(rest));
      assertEquals("CANCELLED", rest.get(0).json().get("status").asText());
    }
    model.releaseOne(); // the held reply now comes back, late: the session ignores it
    JsonNode view = session(http, id);
    assertEquals("CANCELLED", view.get("status").asText());
    assertEquals(0, view.get("iterations").asInt());
    assertTrue(view.get("output").isNull());
    HttpClientForTests.Answer again = http.postJson("/api/v1/sessions/" + id + "/cancel", "");
    assertEquals(200, again.status(), again::body);
    assertEquals(view.get("endedAt"), again.json().get("endedAt"), "cancelling twice changes nothing");
    try (SseStream replay = events(http, id, "", Map.of())) {
      assertEquals(List.of("start", "error"), types(numbered(readToEnd(replay, END_TIMEOUT), 1)));
    }
  }

  /** A resume is its own event; a parked session's stream ends with an error naming FAILED_RECOVERY. */
  @Test
  void aResumeAndAParkingAreStreamedAndParkingEndsTheStream() throws Exception {
    java.time.Instant at = java.time.Instant.parse("2026-12-05T08:00:00Z");
    var resumed = SessionEvents.toSse(new io.troupe.runtime.journal.Sequenced<>(4,
        new io.troupe.runtime.agent.Session.SessionResumed(2, at))).get(0);
    assertEquals("resumed", resumed.getEventType().orElseThrow());
    assertEquals("4", resumed.getId().orElseThrow());
    JsonNode data = Json.MAPPER.readTree(resumed.getData());
    assertEquals(2, data.get("attempt").asInt());
    assertEquals(at.toString(), data.get("at").asText());

    var parked = new io.troupe.runtime.agent.Session.SessionParked(3, "FAILED_RECOVERY: resumed 3 times", at);
    var error = SessionEvents.toSse(new io.troupe.runtime.journal.Sequenced<>(5, parked)).get(0);
    assertEquals("error", error.getEventType().orElseThrow());
    JsonNode errorData = Json.MAPPER.readTree(error.getData());
    assertEquals("FAILED_RECOVERY", errorData.get("status").asText());
    assertEquals("FAILED_RECOVERY: resumed 3 times", errorData.get("error").asText());
    assertTrue(SessionEvents.terminal(parked));
    assertTrue(!SessionEvents.terminal(new io.troupe.runtime.agent.Session.SessionResumed(1, at)));
  }
}
