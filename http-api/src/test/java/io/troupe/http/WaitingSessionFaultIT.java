package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A session waiting for a person survives its node's SIGKILL: three node processes; a
 * conversation's tool call awaits approval on one node; that node is killed; the approval is sent
 * to a survivor, the call runs once and the turn ends there; the conversation's next message,
 * sent to the other survivor, runs the next turn on the whole history. Nothing acknowledged
 * (the start, the approval's request) is lost.
 */
class WaitingSessionFaultIT {

  private static final Duration PHASE = Duration.ofSeconds(90);

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aSessionAwaitingApprovalOrInputLosesNothingWhenItsNodeIsKilled() throws Exception {
    Path work = Files.createTempDirectory("troupe-waiting-it");
    System.out.println("[waiting] work directory (logs): " + work);
    try (FaultCluster cluster = new FaultCluster(work, Map.of())) {
      cluster.start();
      HttpClientForTests first = cluster.nodes[0].http;
      String topic = "waiting-" + Long.toString(System.currentTimeMillis(), 36);
      var defined = first.send("PUT", "/api/v1/agents/careful-chat", Map.of("Content-Type", "application/json"), """
          {"role":"Careful partner","provider":"scripted","conversational":true,
           "tools":["publish_to_topic"],"approvalRequired":["publish_to_topic"],
           "script":[
            {"text":"Publishing.","toolCalls":[{"name":"publish_to_topic",
              "arguments":{"topic":"%s","messageType":"note","content":{"n":1}}}]},
            {"text":"Published."},
            {"text":"Second turn, after the move."}]}""".formatted(topic));
      assertEquals(201, defined.status(), defined.body());
      String id = first.postJson("/api/v1/agents/careful-chat/sessions", "{\"input\":\"publish it\"}").json()
          .get("sessionId").asText();
      JsonNode awaiting = Eventually.await(PHASE, "the call awaits approval", () -> {
        JsonNode view = first.get("/api/v1/sessions/" + id).json();
        return "AWAITING_APPROVAL".equals(view.path("status").asText()) ? Optional.of(view) : Optional.empty();
      });
      String callId = awaiting.get("pendingApproval").get("callId").asText();

      // The node whose shard holds the session (it stays in memory troupe.sessions.passivate-waiting-after, 30 s).
      int host = Eventually.await(Duration.ofSeconds(20), "the session's node is known", () -> hostOf(cluster));
      System.out.println("[waiting] session " + id + " awaits approval on node" + (host + 1) + "; SIGKILL");
      cluster.kill(host);
      List<Integer> survivors = new ArrayList<>();
      for (int i = 0; i < FaultCluster.SIZE; i++) {
        if (i != host) {
          survivors.add(i);
        }
      }
      HttpClientForTests decider = cluster.nodes[survivors.get(0)].http;
      HttpClientForTests messenger = cluster.nodes[survivors.get(1)].http;

      long killedAt = System.nanoTime();
      JsonNode decided = Eventually.await(PHASE, "a survivor takes the decision", () -> {
        var answer = decider.postJson("/api/v1/sessions/" + id + "/approvals/" + callId,
            "{\"approve\":true,\"comment\":\"after the crash\"}");
        // 503 while the killed node's shards move; anything else is final.
        return answer.status() == 503 ? Optional.empty() : Optional.of(((com.fasterxml.jackson.databind.node.ObjectNode) answer.json()).put("httpStatus", answer.status()));
      });
      assertEquals(200, decided.get("httpStatus").asInt(), decided::toString);
      System.out.printf("[waiting] decision taken %.1f s after the kill%n", (System.nanoTime() - killedAt) / 1e9);
      JsonNode turn1 = Eventually.await(PHASE, "turn 1 ends on a survivor", () -> {
        JsonNode view = decider.get("/api/v1/sessions/" + id).json();
        return "WAITING_FOR_INPUT".equals(view.path("status").asText()) ? Optional.of(view) : Optional.empty();
      });
      assertEquals("Published.", turn1.get("output").asText());
      assertEquals(1, decider.get("/api/v1/topics/" + topic + "/messages?from=1").json().get("messages").size(),
          "the approved call ran exactly once");

      var sent = messenger.postJson("/api/v1/sessions/" + id + "/messages", "{\"input\":\"and now?\"}");
      assertEquals(202, sent.status(), sent.body());
      JsonNode turn2 = Eventually.await(PHASE, "turn 2 runs on the whole history", () -> {
        JsonNode view = messenger.get("/api/v1/sessions/" + id).json();
        return view.path("turnCount").asInt() == 2 && "WAITING_FOR_INPUT".equals(view.path("status").asText())
            ? Optional.of(view) : Optional.empty();
      });
      assertEquals("Second turn, after the move.", turn2.get("output").asText());
      JsonNode messages = messenger.get("/api/v1/sessions/" + id + "/messages").json();
      assertEquals(7, messages.get("total").asInt(), "system, user, call, result, answer, user, answer: " + messages);
      assertTrue(turn2.get("approvals").get(0).get("decision").asText().equals("APPROVED"));
    }
  }

  /** The index of the node hosting a Session entity, from the cluster's sharding figures. */
  private static Optional<Integer> hostOf(FaultCluster cluster) {
    JsonNode sharding = cluster.nodes[0].http.get("/api/v1/cluster").json().path("sharding");
    for (int i = 0; i < FaultCluster.SIZE; i++) {
      int port = cluster.ports[i].cluster();
      var fields = sharding.fields();
      while (fields.hasNext()) {
        var node = fields.next();
        if (FaultCluster.port(node.getKey()) == port && node.getValue().path("Session").path("entities").asInt() > 0) {
          return Optional.of(i);
        }
      }
    }
    return Optional.empty();
  }
}
