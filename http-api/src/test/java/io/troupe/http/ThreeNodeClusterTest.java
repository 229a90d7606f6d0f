package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;

/**
 * Three real nodes in one JVM (free loopback ports, one PostgreSQL), each wired as Main wires
 * it and reached over HTTP: topics spread over the nodes, any node writes to the same topic
 * log, and after a node leaves every message is still readable through the other two.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunningNodeTest(nodes = 3)
class ThreeNodeClusterTest {

  private static final int TOPICS = 24;
  private static final int MESSAGES_PER_TOPIC = 3;
  @FromNode private static final List<RunningNode> nodes = new ArrayList<>();

  @Test
  @Order(1)
  void topicsSpreadOverTheNodesAndEachNodeWritesToTheSameLog() {
    for (int t = 0; t < TOPICS; t++) {
      for (int m = 1; m <= MESSAGES_PER_TOPIC; m++) {
        RunningNode via = nodes.get((t + m) % nodes.size()); // each topic written through every node
        var answer = via.http.postJson("/api/v1/topics/spread-" + t + "/messages",
            "{\"sender\":\"node-" + ((t + m) % 3) + "\",\"messageType\":\"n\",\"content\":" + m + "}");
        assertEquals(201, answer.status(), answer.body());
        assertEquals(m, answer.json().get("offset").asLong(), "offsets continue across nodes");
      }
    }
    awaitTrue("Topic entities run on more than one node", Duration.ofSeconds(20), () -> {
      JsonNode sharding = nodes.get(0).http.get("/api/v1/cluster").json().get("sharding");
      Set<String> hosting = new HashSet<>();
      sharding.fields().forEachRemaining(node -> {
        JsonNode topic = node.getValue().get("Topic");
        if (topic != null && topic.get("entities").asInt() > 0) {
          hosting.add(node.getKey());
        }
      });
      return hosting.size() >= 2;
    });
    for (RunningNode reader : nodes) {
      assertEveryTopicReadable(reader, MESSAGES_PER_TOPIC);
    }
  }

  @Test
  @Order(2)
  void afterANodeLeavesEveryMessageIsReadableAndWritableThroughTheOthers() {
    RunningNode leaving = nodes.remove(2);
    leaving.close(); // graceful: leaves the cluster, hands its shards off
    awaitTrue("the two remaining nodes see two members", Duration.ofSeconds(60),
        () -> nodes.stream().allMatch(n -> n.upMembers() == 2 && n.http.get("/api/v1/cluster").json().get("members").size() == 2));
    for (RunningNode reader : nodes) {
      assertEveryTopicReadable(reader, MESSAGES_PER_TOPIC);
    }
    for (int t = 0; t < TOPICS; t++) {
      var answer = nodes.get(t % 2).http.postJson("/api/v1/topics/spread-" + t + "/messages",
          "{\"sender\":\"after\",\"messageType\":\"n\",\"content\":4}");
      assertEquals(201, answer.status(), answer.body());
      assertEquals(MESSAGES_PER_TOPIC + 1, answer.json().get("offset").asLong(),
          "topic spread-" + t + " recovered its offset on a surviving node");
    }
  }

  private static void assertEveryTopicReadable(RunningNode reader, int expected) {
    for (int t = 0; t < TOPICS; t++) {
      var answer = reader.http.get("/api/v1/topics/spread-" + t + "/messages?from=1&limit=100");
      assertEquals(200, answer.status(), answer.body());
      JsonNode messages = answer.json().get("messages");
      assertEquals(expected, messages.size(), "topic spread-" + t + " via port " + reader.ports.http());
      for (int i = 0; i < expected; i++) {
        assertEquals(i + 1, messages.get(i).get("offset").asLong());
        assertEquals(i + 1, messages.get(i).get("content").asInt());
      }
    }
  }


  private static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    assertTrue(condition.getAsBoolean(), "timed out after " + timeout + " waiting until " + what);
  }
}
