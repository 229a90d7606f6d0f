package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.BrokerCalls.body;
import static io.troupe.http.BrokerCalls.messages;
import static io.troupe.http.BrokerCalls.messagesPath;
import static io.troupe.http.BrokerCalls.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Topic messages and subscriber positions have owners (issue 13, point 6): each message shows the
 * user the server recorded as publishing it, {@code agent:} senders are the runtime's agents' own,
 * and a subscriber position is moved only by whoever created it (or an ADMIN).
 */
@RunningNodeTest
class TopicOwnershipTest {

  @FromNode private static HttpClientForTests admin;
  private static SecurityCalls.UserKey alice;
  private static SecurityCalls.UserKey bob;

  @BeforeAll
  static void users() {
    SecurityCalls.TwoUsers users = SecurityCalls.aliceAndBob(admin);
    alice = users.alice();
    bob = users.bob();
  }

  private static String ackPath(String topic, String name) {
    return "/api/v1/topics/" + topic + "/subscribers/" + name + "/ack";
  }

  @Test
  void aMessageShowsTheUserWhoPublishedItNotWhatTheClientClaims() {
    ObjectNode claimed = (ObjectNode) SpectrumCalls.json(body("alice", null, "note", "1"));
    claimed.put("publishedBy", bob.userId());
    var answer = admin.as(alice.key()).postJson(messagesPath("own-pub"), claimed.toString());
    assertEquals(201, answer.status(), answer.body()); // an unknown field: ignored, never believed
    publish(admin.as(alice.key()), "own-pub", "2");
    publish(admin, "own-pub", "3");
    JsonNode page = messages(admin, "own-pub", "");
    List<String> publishers = new java.util.ArrayList<>();
    page.get("messages").forEach(m -> publishers.add(m.get("publishedBy").asText()));
    assertEquals(List.of(alice.userId(), alice.userId(), "admin"), publishers, page::toString);
  }

  @Test
  void aClientCannotSendAsAnAgentAndNothingIsAppended() {
    for (String sender : List.of("agent:spectrum-manager", "agent:")) {
      JsonNode problem = assertInvalid(admin.as(alice.key()).postJson(messagesPath("own-agent"),
          body(sender, null, "note", "1")), "sender");
      assertTrue(problem.get("errors").get("sender").asText().contains("reserved"), problem::toString);
    }
    assertEquals(0, messages(admin, "own-agent", "").get("messages").size());
    publish(admin.as(alice.key()), "own-agent", "1"); // an ordinary sender still publishes
  }

  @Test
  void anAgentsPublishIsSentAsTheAgentForTheSessionsOwner() {
    HttpClientForTests asAlice = admin.as(alice.key());
    String agent = AgentCalls.uniqueName("own-publisher");
    AgentCalls.define(asAlice, agent, AgentCalls.scripted("Publisher", List.of("publish_to_topic"),
        AgentCalls.toolThenAnswer("publishing", "publish_to_topic",
            "{\"topic\":\"own-agent-pub\",\"messageType\":\"note\",\"content\":{\"n\":1}}", "done")));
    var started = AgentCalls.startRaw(asAlice, agent, "{\"input\":\"go\"}");
    assertEquals(202, started.status(), started.body());
    JsonNode view = AgentCalls.awaitEnd(asAlice, started.json().get("sessionId").asText());
    assertEquals("COMPLETED", view.get("status").asText(), view::toString);
    JsonNode message = messages(admin, "own-agent-pub", "").get("messages").get(0);
    assertEquals("agent:" + agent, message.get("sender").asText(), message::toString);
    assertEquals(alice.userId(), message.get("publishedBy").asText(), message::toString);
  }

  @Test
  void aPositionBelongsToItsCreatorAndAnotherUsersMoveIsRefusedAndChangesNothing() {
    for (int i = 0; i < 5; i++) {
      publish(admin, "own-pos", Integer.toString(i));
    }
    var created = admin.as(alice.key()).postJson(ackPath("own-pos", "billing"), "{\"offset\":1}");
    assertEquals(200, created.status(), created.body());
    assertEquals(alice.userId(), created.json().get("owner").asText());

    JsonNode problem = assertProblem(admin.as(bob.key()).postJson(ackPath("own-pos", "billing"), "{\"offset\":4}"), 403);
    assertTrue(problem.get("detail").asText().contains("belongs to another user"), problem::toString);
    assertEquals(1, admin.get("/api/v1/topics/own-pos/subscribers/billing").json().get("ackedOffset").asLong(),
        "the refused ack moved nothing");

    var own = admin.as(alice.key()).postJson(ackPath("own-pos", "billing"), "{\"offset\":2}");
    assertEquals(200, own.status(), own.body());
    assertEquals(2, own.json().get("ackedOffset").asLong());
    var byAdmin = admin.postJson(ackPath("own-pos", "billing"), "{\"offset\":3}");
    assertEquals(200, byAdmin.status(), byAdmin.body());
    assertEquals(3, byAdmin.json().get("ackedOffset").asLong());
    assertEquals(alice.userId(), byAdmin.json().get("owner").asText(), "an ADMIN's move keeps the owner");
  }

  @Test
  void anAgentsSubscriptionPositionCannotBeMovedByAUser() {
    publish(admin, "own-agent-pos", "1");
    JsonNode problem = assertProblem(admin.as(bob.key()).postJson(ackPath("own-agent-pos", "agent.spectrum-manager"),
        "{\"offset\":1}"), 403);
    assertTrue(problem.get("detail").asText().contains("runtime"), problem::toString);
    assertEquals(0, admin.get("/api/v1/topics/own-agent-pos/subscribers/agent.spectrum-manager").json()
        .get("ackedOffset").asLong());
  }
}
