package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar as a real process, with nothing but an empty data directory: it starts its
 * own PostgreSQL, stores messages, stops cleanly on SIGTERM (database included), and a second
 * start on the same directory (schema creation again, recovery) reads the same messages back.
 */
class NodeProcessIT {

  @Test
  void messagesSurviveAStopOnSigtermAndARestart() throws Exception {
    Path work = Files.createTempDirectory("troupe-process-it");
    Path dataDir = work.resolve("data"); // does not exist yet
    Path log = work.resolve("node.log");
    TestNodes.Ports ports = TestNodes.Ports.free();
    List<String> published = new ArrayList<>();

    try (NodeProcess first = NodeProcess.start(dataDir, ports, Map.of(), log)) {
      first.awaitReady(Duration.ofSeconds(120));
      for (int i = 1; i <= 5; i++) {
        var answer = first.http.postJson("/api/v1/topics/durable/messages",
            "{\"sender\":\"it\",\"messageType\":\"n\",\"content\":{\"i\":" + i + "}}");
        assertEquals(201, answer.status(), answer.body());
        assertEquals(i, answer.json().get("offset").asLong());
        published.add(answer.json().get("publishedAt").asText());
      }
      assertEquals(0, first.terminate(Duration.ofSeconds(60)), "a clean stop exits with 0");
    }
    assertFalse(Files.exists(dataDir.resolve("postgres").resolve("postmaster.pid")),
        "the embedded PostgreSQL was stopped with the node");
    String firstLog = Files.readString(log);
    assertTrue(firstLog.contains("SIGTERM received"), "the node handled SIGTERM");
    assertTrue(firstLog.indexOf("Troupe node stopped") > firstLog.indexOf("Remoting shut down"),
        "the database stopped after the actor system");

    try (NodeProcess second = NodeProcess.start(dataDir, ports, Map.of(), log)) {
      second.awaitReady(Duration.ofSeconds(120));
      JsonNode page = second.http.get("/api/v1/topics/durable/messages?from=1&limit=100").json();
      JsonNode messages = page.get("messages");
      assertEquals(5, messages.size(), page.toString());
      for (int i = 0; i < 5; i++) {
        assertEquals(i + 1, messages.get(i).get("offset").asLong());
        assertEquals(i + 1, messages.get(i).get("content").get("i").asInt());
        assertEquals(published.get(i), messages.get(i).get("publishedAt").asText());
      }
      var next = second.http.postJson("/api/v1/topics/durable/messages",
          "{\"sender\":\"it\",\"messageType\":\"n\",\"content\":6}");
      assertEquals(6, next.json().get("offset").asLong(), "offsets continue after the restart");
      assertEquals(0, second.terminate(Duration.ofSeconds(60)));
    }
  }
}
