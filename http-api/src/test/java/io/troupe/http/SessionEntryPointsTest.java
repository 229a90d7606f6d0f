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
