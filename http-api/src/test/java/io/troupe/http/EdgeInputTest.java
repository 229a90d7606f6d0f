package io.troupe.http;

import static io.troupe.http.AgentCalls.agentPath;
import static io.troupe.http.AgentCalls.put;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.BrokerCalls.messages;
import static io.troupe.http.BrokerCalls.messagesPath;
import static io.troupe.http.BrokerCalls.offsets;
import static io.troupe.http.BrokerCalls.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Input the edge must answer with a 4xx problem and nothing changed (issue 13, points 14 and 18):
 * lone surrogates in JSON, a NUL in a query parameter, a body that stops arriving; and HEAD on
 * GET routes. Each case was a 5xx, a crash loop or a 405 before.
 */
@RunningNodeTest(config = "troupe.http.body-read-timeout = 1s")
class EdgeInputTest {

  @FromNode private static RunningNode node;
  @FromNode private static HttpClientForTests http;

  @Test
  void loneSurrogatesInAPublishedMessageAre400AndStoreNothing() {
    String topic = "edge-surrogates";
    assertEquals(1, publish(http, topic, "{\"ok\":true}").get("offset").asLong());
    List<String> bodies = List.of(
        "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":{\"text\":\"abc\\ud800\"}}",
        "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":[\"\\udfff\"]}",
        "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":{\"\\ud800\":1}}",
        "{\"sender\":\"\\ud800\",\"messageType\":\"t\",\"content\":1}");
    for (String body : bodies) {
      long start = System.nanoTime();
      HttpClientForTests.Answer answer = http.postJson(messagesPath(topic), body);
      JsonNode problem = assertProblem(answer, 400);
      // Jackson refuses some shapes itself (a high surrogate in a field name): 400 all the same.
      assertTrue(problem.get("detail").asText().contains("surrogate"), problem::toString);
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "answered at once, no entity restarts");
    }
    assertTrue(http.postJson(messagesPath(topic), bodies.get(0)).json().get("detail").asText()
        .contains("at /content/text"), "the problem says where");
    assertEquals(List.of(1L), offsets(messages(http, topic, "")));
    assertEquals(2, publish(http, topic, "{\"pair\":\"\\ud83d\\ude00\"}").get("offset").asLong(),
        "a surrogate pair is valid Unicode; no offset was taken");
  }

  @Test
  void loneSurrogatesInAnAgentDefinitionAre400AndDefineNothing() {
    String name = uniqueName("edge-surrogate");
    assertProblem(put(http, name, "{\"role\":\"R\\ud800\",\"provider\":\"scripted\",\"script\":[{\"text\":\"ok\"}]}"), 400);
    // Arguments given as JSON text are parsed by the edge too: the escape hides in a string there.
    String script = "[{\"text\":\"x\",\"toolCalls\":[{\"name\":\"read_topic\",\"argumentsJson\":\"{\\\"topic\\\":\\\"\\\\ud800\\\"}\"}]}]";
    assertInvalid(put(http, name, "{\"role\":\"R\",\"provider\":\"scripted\",\"tools\":[\"read_topic\"],\"script\":"
        + script + "}"), "script[0].toolCalls[0].argumentsJson");
    assertProblem(http.get(agentPath(name)), 404);
  }

  @Test
  void aNulInAQueryParameterIs400NamingTheParameter() {
    for (String path : List.of("/api/v1/security/audit?action=%00", "/api/v1/sessions?agent=a%00b",
        "/api/v1/agents?after=%00", "/api/v1/topics/edge-nul/messages?from=1%00")) {
      JsonNode problem = assertProblem(http.get(path), 400);
      assertTrue(problem.get("detail").asText().contains("NUL"), () -> path + ": " + problem);
    }
  }

  @Test
  void aBodyThatStopsArrivingIs408AndStoresNothing() {
    String topic = "edge-slow-body";
    assertEquals(1, publish(http, topic, "{\"ok\":true}").get("offset").asLong());
    byte[] part = "{\"sender\":\"a\",\"messageType\":\"t\",".getBytes(StandardCharsets.UTF_8);
    RawHttp.Answer answer = RawHttp.exchange(node.ports.http(), "POST " + messagesPath(topic) + " HTTP/1.1\r\n"
        + "Authorization: Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN + "\r\n"
        + "Content-Type: application/json\r\nContent-Length: 200", part);
    assertEquals(408, answer.status(), answer::text);
    assertTrue(answer.hasHeader("content-type: application/problem+json"), answer::text);
    assertTrue(answer.body().contains("did not arrive within 1000 ms"), answer::text);
    assertTrue(answer.millis() < 10_000, "answered after the body timeout, not the request timeout: " + answer.millis());
    assertEquals(List.of(1L), offsets(messages(http, topic, "")));
  }

  @Test
  void headOnGetRoutesAnswersAsGetWithoutABody() throws Exception {
    for (String path : List.of("/health/live", "/api/v1/topics", "/api/v1/cluster")) {
      HttpResponse<String> head = head(path);
      assertEquals(200, head.statusCode(), () -> "HEAD " + path + ": " + head.body());
      assertEquals("", head.body());
      assertTrue(head.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), path);
    }
    assertEquals(401, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(http.base + "/api/v1/topics"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
        "HEAD is guarded as GET");
    assertEquals(405, head("/api/v1/deconfliction/requests").statusCode(), "a POST-only route has no HEAD");
  }

  /** A stream answered to HEAD is headers only: it must not stay open and hold a stream slot. */
  @Test
  void headOnAStreamAnswersAtOnceAndHoldsNoStream() throws Exception {
    publish(http, "edge-head-stream", "{\"ok\":true}");
    HttpResponse<String> head = head("/api/v1/topics/edge-head-stream/stream?from=1");
    assertEquals(200, head.statusCode(), head::body);
    assertEquals("", head.body());
    assertTrue(head.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    Eventually.await(Duration.ofSeconds(10), "no live stream left open", () -> liveStreams() == 0.0
        ? java.util.Optional.of(true) : java.util.Optional.empty());
  }

  private static double liveStreams() {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^embm_broker_live_streams (\\S+)$")
        .matcher(http.get("/metrics").body());
    assertTrue(m.find(), "embm_broker_live_streams in /metrics");
    return Double.parseDouble(m.group(1));
  }

  private static HttpResponse<String> head(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(http.base + path))
            .header("Authorization", "Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN)
            .timeout(Duration.ofSeconds(15))
            .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
