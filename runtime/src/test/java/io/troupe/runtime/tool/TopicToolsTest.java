package io.troupe.runtime.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.broker.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** publish_to_topic and read_topic on a real node with a real PostgreSQL journal. */
@TroupeNodeTest
class TopicToolsTest {

  @FromNode private static NodeFixture fixture;
  private static ToolRegistry registry;

  @BeforeAll
  static void start() {
    registry = BuiltInTools.register(new ToolRegistry(), fixture.node.system(), fixture.node.topicLog(),
        io.troupe.runtime.node.RuntimeSettings.get(fixture.node.system()).tools());
  }

  private static ToolContext call(String callId) {
    return new ToolContext("session-" + callId, "scout", callId, Duration.ofSeconds(10));
  }

  private static ToolOutcome invoke(String tool, String args, ToolContext ctx) throws Exception {
    return registry.invoke(tool, args, ctx).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static JsonNode ok(ToolOutcome outcome) {
    assertTrue(outcome.ok(), () -> "expected success: " + outcome);
    return ToolJson.parse(outcome.result());
  }

  private static List<Topic.MessagePublished> stored(String topic) throws Exception {
    return fixture.node.topicLog().read(topic, 1, 1000).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void defaultConfigurationOffersTheTopicToolsButNotHttpGet() {
    assertEquals(Set.of("publish_to_topic", "read_topic"), registry.names());
  }

  @Test
  void allowedHostsSwitchHttpGetOn() {
    ToolRegistry withHttp = BuiltInTools.register(new ToolRegistry(), fixture.node.system(), fixture.node.topicLog(),
        ToolSettings.fromToolsBlock(ConfigFactory.parseMap(Map.of("http-get.allowed-hosts", " example.org, API.internal "))));
    assertEquals(Set.of("publish_to_topic", "read_topic", "http_get"), withHttp.names());
    HttpGetTool httpGet = (HttpGetTool) withHttp.get("http_get").orElseThrow();
    assertEquals(Set.of("example.org", "api.internal"), httpGet.allowedHosts());
    assertEquals(Set.of("a", "b"), ToolSettings.allowedHosts(
        ConfigFactory.parseString("http-get.allowed-hosts = [a, \" b \", \"\"]")));
  }

  @Test
  void publishedMessagesAreReadBack() throws Exception {
    JsonNode first = ok(invoke("publish_to_topic",
        "{\"topic\":\"tools.readback\",\"messageType\":\"note\",\"content\":{\"text\":\"hello\",\"n\":[1,2]}}", call("p1")));
    assertEquals("tools.readback", first.get("topic").asText());
    assertEquals(1, first.get("offset").asLong());
    JsonNode second = ok(invoke("publish_to_topic",
        "{\"topic\":\"tools.readback\",\"messageType\":\"reply\",\"content\":\"plain\",\"recipient\":\"planner\"}",
        call("p2")));
    assertEquals(2, second.get("offset").asLong());

    JsonNode page = ok(invoke("read_topic", "{\"topic\":\"tools.readback\"}", call("r1")));
    assertEquals("tools.readback", page.get("topic").asText());
    assertEquals(3, page.get("nextOffset").asLong());
    JsonNode messages = page.get("messages");
    assertEquals(2, messages.size());
    JsonNode m1 = messages.get(0);
    assertEquals(1, m1.get("offset").asLong());
    assertEquals("agent:scout", m1.get("sender").asText());
    assertEquals("note", m1.get("messageType").asText());
    assertEquals(ToolJson.parse("{\"text\":\"hello\",\"n\":[1,2]}"), m1.get("content"));
    assertFalse(m1.has("recipient"));
    assertTrue(m1.get("publishedAt").asText().endsWith("Z"), m1.toString());
    JsonNode m2 = messages.get(1);
    assertEquals("plain", m2.get("content").asText());
    assertEquals("planner", m2.get("recipient").asText());

    JsonNode tail = ok(invoke("read_topic", "{\"topic\":\"tools.readback\",\"from\":2,\"limit\":5}", call("r2")));
    assertEquals(1, tail.get("messages").size());
    assertEquals(3, tail.get("nextOffset").asLong());
    JsonNode past = ok(invoke("read_topic", "{\"topic\":\"tools.readback\",\"from\":7}", call("r3")));
    assertEquals(0, past.get("messages").size());
    assertEquals(7, past.get("nextOffset").asLong());
  }

  @Test
  void readPagesHonourTheLimit() throws Exception {
    for (int i = 0; i < 5; i++) {
      ok(invoke("publish_to_topic", "{\"topic\":\"tools.paged\",\"messageType\":\"n\",\"content\":" + i + "}",
          call("paged-" + i)));
    }
    JsonNode page = ok(invoke("read_topic", "{\"topic\":\"tools.paged\",\"from\":2,\"limit\":2}", call("rp")));
    assertEquals(List.of(2L, 3L), page.get("messages").findValues("offset").stream().map(JsonNode::asLong).toList());
    assertEquals(4, page.get("nextOffset").asLong());
  }

  @Test
  void aRetriedCallOnTheSameNodeDoesNotPublishTwice() throws Exception {
    String args = "{\"topic\":\"tools.retry\",\"messageType\":\"once\",\"content\":{}}";
    JsonNode first = ok(invoke("publish_to_topic", args, call("retry-1")));
    JsonNode retried = ok(invoke("publish_to_topic", args, call("retry-1")));
    assertEquals(first, retried);
    assertEquals(1, stored("tools.retry").size());
    JsonNode another = ok(invoke("publish_to_topic", args, call("retry-2")));
    assertEquals(2, another.get("offset").asLong());
    assertEquals(2, stored("tools.retry").size());
  }

  @Test
  void badArgumentsAreErrorsAndPublishNothing() throws Exception {
    String[][] cases = {
        {"{\"topic\":\"tools.bad\",\"messageType\":\"note\"}", "$.content: is required"},
        {"{\"topic\":\"tools bad!\",\"messageType\":\"note\",\"content\":1}", "$.topic: must match the pattern"},
        {"{\"topic\":\"tools.bad\",\"messageType\":\"\",\"content\":1}", "$.messageType: must be at least 1"},
        {"{\"topic\":\"tools.bad\",\"messageType\":\"note\",\"content\":1,\"sender\":\"admin\"}",
            "$.sender: is not allowed"},
        {"{\"topic\":\"tools.bad\",\"messageType\":\"note\",\"content\":1,\"recipient\":5}",
            "$.recipient: must be of type string or null"},
        {"{\"topic\":\"tools.bad\",\"messageType\":\"note\",\"content\":\"" + "x".repeat(300_000) + "\"}",
            "content is too large"},
        {"not json", "arguments are not valid JSON"},
    };
    for (String[] c : cases) {
      ToolOutcome outcome = invoke("publish_to_topic", c[0], call("bad-" + c[1].hashCode()));
      assertFalse(outcome.ok(), () -> c[0] + " should fail");
      assertNull(outcome.result());
      assertTrue(outcome.error().contains(c[1]), () -> "expected '" + c[1] + "' in: " + outcome.error());
    }
    assertEquals(List.of(), stored("tools.bad"));
  }

  @Test
  void badReadArgumentsAreErrors() throws Exception {
    assertTrue(invoke("read_topic", "{\"topic\":\"t\",\"limit\":101}", call("rb1")).error()
        .contains("$.limit: must be at most 100"));
    assertTrue(invoke("read_topic", "{\"topic\":\"t\",\"from\":0}", call("rb2")).error()
        .contains("$.from: must be at least 1"));
    assertTrue(invoke("read_topic", "{\"from\":1}", call("rb3")).error().contains("$.topic: is required"));
  }
}
