package io.troupe.http;

import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.toolThenAnswer;
import static io.troupe.http.AgentCalls.uniqueName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The three ways a session starts — a key holder over HTTP, a session's {@code call_agent}, a
 * message on a subscribed topic — agree on who owns the session and who pays for it (the same
 * API user in all three), and go through the one session service, so they share its ask policy.
 */
@RunningNodeTest
class SessionEntryPointsTest {

  @FromNode private static RunningNode node;
  private static HttpClientForTests ana;
  private static String anaId;

  @BeforeAll
  static void startNode() throws Exception {
    SecurityCalls.UserKey key = SecurityCalls.userWithKey(node.http, "ana", "USER");
    anaId = key.userId();
    ana = node.http.as(key.key());
  }


  @Test
  void httpCallAgentAndSubscriptionSessionsAllBelongToAndChargeTheSameUser() {
    String callee = uniqueName("callee");
    String caller = uniqueName("caller");
    String listener = uniqueName("listener");
    String inbox = uniqueName("inbox");
    define(ana, callee, answering("hello"));
    define(ana, caller, scripted("Caller", List.of("call_agent"), toolThenAnswer("Asking.", "call_agent",
        "{\"agent\":\"" + callee + "\",\"input\":\"hi\"}", "Asked.")));
    com.fasterxml.jackson.databind.node.ObjectNode listening = answering("noted");
    listening.withArray("subscriptions").add(inbox);
    define(ana, listener, listening);

    // 1. A key holder over HTTP.
    String parentId = ana.postJson("/api/v1/agents/" + caller + "/sessions", "{\"input\":\"go\"}").json()
        .get("sessionId").asText();
    JsonNode parent = awaitStatus(ana, parentId, "COMPLETED");
    // 2. That session's call_agent.
    String childId = AgentCalls.parse(parent.get("toolCalls").get(0).get("result").asText()).get("sessionId").asText();
    JsonNode child = awaitStatus(ana, childId, "COMPLETED");
    // 3. A message Ana publishes on a topic the listener subscribes to (the body's sender is free text).
    assertEquals(201, ana.postJson("/api/v1/topics/" + inbox + "/messages",
        "{\"sender\":\"someone-else\",\"messageType\":\"note\",\"content\":1}").status());
    JsonNode fromMessage = awaitSessionOf(listener);

    for (JsonNode session : List.of(parent, child, fromMessage)) {
      assertEquals(anaId, session.get("owner").asText(), "owner: " + session);
      assertEquals(anaId, session.get("userId").asText(), "payer: " + session);
    }
  }

  @Test
  void anAdministratorMayStartForAnotherUserAndAUserMayNot() {
    String agent = uniqueName("proxy");
    define(ana, agent, answering("ok"));
    JsonNode refused = BrokerCalls.assertProblem(ana.postJson("/api/v1/agents/" + agent + "/sessions",
        "{\"input\":\"x\",\"userId\":\"u-someone\"}"), 403);
    assertTrue(refused.get("detail").asText().contains("only an administrator"), refused::toString);
    String id = node.http.postJson("/api/v1/agents/" + agent + "/sessions", "{\"input\":\"x\",\"userId\":\"" + anaId + "\"}")
        .json().get("sessionId").asText();
    assertEquals(anaId, awaitStatus(node.http, id, "COMPLETED").get("owner").asText());
  }

  /**
   * Issue 13: two agents that call each other grew to 1,097 sessions. A call of an agent already
   * on the call chain is refused before anything starts: the calling model gets the error and its
   * session goes on, so A → B → (A refused) is two sessions, both completed.
   */
  @Test
  void agentsCallingEachOtherStopAtTheCycleAndBothSessionsCarryOn() {
    String ping = uniqueName("ping");
    String pong = uniqueName("pong");
    define(ana, ping, scripted("Ping", List.of("call_agent"), toolThenAnswer("Asking pong.", "call_agent",
        "{\"agent\":\"" + pong + "\",\"input\":\"ping\"}", "Ping done.")));
    define(ana, pong, scripted("Pong", List.of("call_agent"), toolThenAnswer("Asking ping.", "call_agent",
        "{\"agent\":\"" + ping + "\",\"input\":\"pong\"}", "Pong done.")));

    String rootId = startAsAna(ping);
    JsonNode root = awaitStatus(ana, rootId, "COMPLETED");
    assertEquals("Ping done.", root.get("output").asText());
    String childId = AgentCalls.parse(root.get("toolCalls").get(0).get("result").asText()).get("sessionId").asText();
    JsonNode child = awaitStatus(ana, childId, "COMPLETED");
    assertEquals("Pong done.", child.get("output").asText(), "the refused call's session carries on");
    JsonNode refused = child.get("toolCalls").get(0);
    assertEquals("ERROR", refused.get("outcome").asText(), refused::toString);
    assertEquals("call_agent refused: agent " + ping + " is already running on this call chain (" + ping + " → "
        + pong + "); an agent may not call itself or an agent that (indirectly) called it", refused.get("error").asText());
    assertChainLink(root, rootId, null, 0);
    assertChainLink(child, rootId, rootId, 1);
    Eventually.holds("one session of each agent, none after the refusal", () -> {
      assertEquals(List.of(rootId), sessionIdsOf(ping));
      assertEquals(List.of(childId), sessionIdsOf(pong));
    });
  }

  /**
   * A chain of distinct agents d0 → d1 → ... stops at troupe.sessions.max-call-depth (4): the
   * session at depth 4 gets an error for its call and answers; d5 never runs. Every link belongs
   * to, and is charged to, the root's user.
   */
  @Test
  void aChainOfCallsStopsAtTheMaximumDepthAndEveryLinkBelongsToTheRootsUser() {
    int maxDepth = 4;
    List<String> names = new ArrayList<>();
    for (int i = 0; i <= maxDepth + 1; i++) {
      names.add(uniqueName("depth" + i));
    }
    define(ana, names.get(maxDepth + 1), answering("the bottom"));
    for (int i = maxDepth; i >= 0; i--) {
      define(ana, names.get(i), scripted("Link " + i, List.of("call_agent"), toolThenAnswer("Asking down.", "call_agent",
          "{\"agent\":\"" + names.get(i + 1) + "\",\"input\":\"go on\"}", "Link " + i + " done.")));
    }

    String rootId = startAsAna(names.get(0));
    String parentId = null;
    String id = rootId;
    for (int depth = 0; depth <= maxDepth; depth++) {
      JsonNode link = awaitStatus(ana, id, "COMPLETED");
      assertEquals("Link " + depth + " done.", link.get("output").asText());
      assertEquals(anaId, link.get("owner").asText(), "owner: " + link);
      assertEquals(anaId, link.get("userId").asText(), "payer: " + link);
      assertChainLink(link, rootId, parentId, depth);
      JsonNode call = link.get("toolCalls").get(0);
      if (depth < maxDepth) {
        assertEquals("OK", call.get("outcome").asText(), call::toString);
        parentId = id;
        id = AgentCalls.parse(call.get("result").asText()).get("sessionId").asText();
      } else {
        assertEquals("ERROR", call.get("outcome").asText(), call::toString);
        assertEquals("call_agent refused: the call chain " + String.join(" → ", names.subList(0, maxDepth + 1))
            + " is already 4 calls deep, the most allowed (troupe.sessions.max-call-depth = 4);"
            + " answer without calling another agent", call.get("error").asText());
      }
    }
    String deepest = id;
    Eventually.holds("the deepest link is listed, and nothing below it ran", () -> {
      assertEquals(List.of(deepest), sessionIdsOf(names.get(maxDepth)));
      assertEquals(List.of(), sessionIdsOf(names.get(maxDepth + 1)));
    });
  }

  private static String startAsAna(String agent) {
    HttpClientForTests.Answer started = ana.postJson("/api/v1/agents/" + agent + "/sessions", "{\"input\":\"go\"}");
    assertEquals(202, started.status(), started::body);
    return started.json().get("sessionId").asText();
  }

  private static void assertChainLink(JsonNode session, String rootId, String parentId, int depth) {
    assertEquals(rootId, session.get("rootSessionId").asText(), session::toString);
    assertEquals(parentId, session.get("parentSessionId").isNull() ? null : session.get("parentSessionId").asText(),
        session::toString);
    assertEquals(depth, session.get("callDepth").asInt(), session::toString);
  }

  /** The ids of the agent's sessions, from the read side. */
  private static List<String> sessionIdsOf(String agent) {
    List<String> ids = new ArrayList<>();
    ana.get("/api/v1/agents/" + agent + "/sessions").json().get("sessions").forEach(s -> ids.add(s.get("sessionId").asText()));
    return ids;
  }

  /**
   * Only the session service sends a session its Start (and the topic service a Publish or a
   * subscriber's Ack, the agent service a definition, the spectrum service a coordinator's
   * requests and releases): no door of any module reaches those entities around it.
   */
  @Test
  void onlyTheServicesSendStartsPublishesRequestsAndReleases() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> offenders = new ArrayList<>();
    check(root, "new Session.Start(", "runtime/src/main/java/io/troupe/runtime/agent/Sessions.java", offenders);
    check(root, "new Session.Cancel(", "runtime/src/main/java/io/troupe/runtime/agent/Sessions.java", offenders);
    check(root, "Session.Cancel::new", "runtime/src/main/java/io/troupe/runtime/agent/Sessions.java", offenders);
    check(root, "new Topic.Publish(", "runtime/src/main/java/io/troupe/runtime/broker/Topics.java", offenders);
    check(root, "new Subscriber.Ack(", "runtime/src/main/java/io/troupe/runtime/broker/Topics.java", offenders);
    check(root, "new Agent.Define(", "runtime/src/main/java/io/troupe/runtime/agent/Agents.java", offenders);
    check(root, "DeconflictionCoordinator.RequestAllocation(", "agents/src/main/java/io/troupe/agents/spectrum/Spectrum.java",
        offenders);
    check(root, "DeconflictionCoordinator.Release(", "agents/src/main/java/io/troupe/agents/spectrum/Spectrum.java",
        offenders);
    assertEquals(List.of(), offenders, "doors that go around their service");
  }

  private static void check(Path root, String needle, String allowed, List<String> offenders) throws IOException {
    for (String module : List.of("runtime", "agents", "http-api")) {
      Path main = root.resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(main)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          String relative = root.relativize(file).toString();
          if (!relative.equals(allowed) && Files.readString(file).contains(needle)) {
            offenders.add(relative + " uses " + needle);
          }
        }
      }
    }
  }

  private static JsonNode awaitSessionOf(String agent) {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (Instant.now().isBefore(deadline)) {
      JsonNode sessions = ana.get("/api/v1/agents/" + agent + "/sessions").json().get("sessions");
      if (sessions.size() == 1 && "COMPLETED".equals(sessions.get(0).get("status").asText())) {
        return sessions.get(0);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return fail("no completed session of " + agent + " within 30 s");
  }
}
