package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.BrokerCalls.body;
import static io.troupe.http.BrokerCalls.listedLastOffset;
import static io.troupe.http.BrokerCalls.messages;
import static io.troupe.http.BrokerCalls.messagesPath;
import static io.troupe.http.BrokerCalls.offsets;
import static io.troupe.http.BrokerCalls.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests get a 4xx RFC 9457 problem naming what is wrong, and a rejected publish stores
 * nothing: each case publishes one good message to its own topic first, and afterwards the topic
 * still holds exactly that message and the next good publish gets offset 2.
 */
@RunningNodeTest
class BadInputTest {

  private static final int ONE_MIB = 1024 * 1024;
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static final String GOOD = body("alice", null, "note", "{\"ok\":true}");

  @FromNode private static HttpClientForTests http;

  /** A rejected publish: its Content-Type, body, expected status and (for 400s) the fields named. */
  record BadPublish(String name, String contentType, String body, int status, List<String> fields) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadPublish> badPublishes() {
    return Stream.of(
        new BadPublish("malformed JSON", "application/json", "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":", 400, null),
        new BadPublish("unquoted key", "application/json", "{sender:\"a\",\"messageType\":\"t\",\"content\":1}", 400, null),
        new BadPublish("trailing garbage", "application/json", "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":1} x", 400, null),
        new BadPublish("two objects", "application/json",
            "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":1}{\"sender\":\"a\",\"messageType\":\"t\",\"content\":2}", 400, null),
        new BadPublish("sender a number", "application/json", "{\"sender\":1,\"messageType\":\"t\",\"content\":1}", 400, List.of("sender")),
        new BadPublish("messageType a boolean", "application/json", "{\"sender\":\"a\",\"messageType\":true,\"content\":1}", 400, List.of("messageType")),
        new BadPublish("recipient a number", "application/json", "{\"sender\":\"a\",\"recipient\":5,\"messageType\":\"t\",\"content\":1}", 400, List.of("recipient")),
        new BadPublish("sender an object", "application/json", "{\"sender\":{},\"messageType\":\"t\",\"content\":1}", 400, List.of("sender")),
        new BadPublish("every field wrong", "application/json", "{\"sender\":[],\"recipient\":false,\"messageType\":2}", 400,
            List.of("sender", "recipient", "messageType", "content")),
        new BadPublish("empty object", "application/json", "{}", 400, List.of("sender", "messageType", "content")),
        new BadPublish("content missing", "application/json", "{\"sender\":\"a\",\"messageType\":\"t\"}", 400, List.of("content")),
        new BadPublish("sender missing", "application/json", "{\"messageType\":\"t\",\"content\":1}", 400, List.of("sender")),
        new BadPublish("sender null", "application/json", "{\"sender\":null,\"messageType\":\"t\",\"content\":1}", 400, List.of("sender")),
        new BadPublish("sender blank", "application/json", "{\"sender\":\"   \",\"messageType\":\"t\",\"content\":1}", 400, List.of("sender")),
        new BadPublish("sender too long", "application/json", "{\"sender\":\"" + "s".repeat(256) + "\",\"messageType\":\"t\",\"content\":1}", 400, List.of("sender")),
        new BadPublish("messageType too long", "application/json", "{\"sender\":\"a\",\"messageType\":\"" + "t".repeat(129) + "\",\"content\":1}", 400, List.of("messageType")),
        new BadPublish("body a JSON array", "application/json", "[{\"sender\":\"a\",\"messageType\":\"t\",\"content\":1}]", 400, null),
        new BadPublish("body a JSON string", "application/json", "\"hello\"", 400, null),
        new BadPublish("body JSON null", "application/json", "null", 400, null),
        new BadPublish("body a number", "application/json", "42", 400, null),
        new BadPublish("empty body", "application/json", "", 400, null),
        new BadPublish("whitespace body", "application/json", "  \n ", 400, null),
        new BadPublish("content nested too deeply", "application/json",
            "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":" + "[".repeat(5000) + "]".repeat(5000) + "}", 400, null),
        new BadPublish("number too long", "application/json",
            "{\"sender\":\"a\",\"messageType\":\"t\",\"content\":" + "9".repeat(5000) + "}", 400, null),
        new BadPublish("text/plain", "text/plain", GOOD, 415, null),
        new BadPublish("application/xml", "application/xml", "<message/>", 415, null),
        new BadPublish("form", "application/x-www-form-urlencoded", "sender=a", 415, null),
        new BadPublish("over 1 MiB", "application/json", oversized(), 413, null));
  }

  private static String oversized() {
    return body("alice", null, "note", "\"" + "x".repeat(ONE_MIB) + "\"");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badPublishes")
  void rejectedPublishIsAProblemAndStoresNothing(BadPublish bad) {
    String topic = goodTopic();
    HttpClientForTests.Answer answer = http.send("POST", messagesPath(topic), Map.of("Content-Type", bad.contentType()), bad.body());
    if (bad.fields() != null) {
      assertInvalid(answer, bad.fields().toArray(String[]::new));
    } else {
      assertProblem(answer, bad.status());
    }
    assertNothingStored(topic);
  }

  @Test
  void publishWithoutContentTypeIs415() {
    String topic = goodTopic();
    HttpClientForTests.Answer answer = http.send("POST", messagesPath(topic), Map.of(), GOOD);
    assertProblem(answer, 415);
    assertNothingStored(topic);
  }

  @Test
  void oversizedChunkedBodyWithoutContentLengthIs413() throws Exception {
    String topic = goodTopic();
    byte[] big = oversized().getBytes(StandardCharsets.UTF_8);
    HttpRequest request = HttpRequest.newBuilder(URI.create(http.base + messagesPath(topic)))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN)
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
        .build();
    HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(request, HttpResponse.BodyHandlers.ofString());
    assertProblem(new HttpClientForTests.Answer(response.statusCode(), response), 413);
    assertNothingStored(topic);
  }

  @Test
  void bodyJustUnderTheLimitIsAccepted() {
    String topic = "bad-under-limit";
    String content = "\"" + "x".repeat(ONE_MIB - 200) + "\"";
    String request = body("alice", null, "note", content);
    assertTrue(request.length() < ONE_MIB);
    assertEquals(201, http.postJson(messagesPath(topic), request).status());
    assertEquals(ONE_MIB - 200, messages(http, topic, "").get("messages").get(0).get("content").asText().length());
  }

  @Test
  void jsonWithCharsetParameterIsAccepted() {
    HttpClientForTests.Answer answer = http.send("POST", messagesPath("bad-charset-ok"),
        Map.of("Content-Type", "application/json; charset=utf-8"), GOOD);
    assertEquals(201, answer.status(), answer::body);
  }

  @Test
  void unknownRoutesAre404() {
    for (String path : List.of("/", "/api", "/api/v1/nope", "/api/v2/topics", "/api/v1/topics/t/nope",
        "/api/v1/topics/t/messages/1", "/api/v1/topics/t/subscribers")) {
      JsonNode problem = assertProblem(http.get(path), 404);
      assertTrue(problem.get("detail").asText().length() > 0, path);
    }
  }

  @Test
  void wrongMethodsAre405WithAllow() {
    assertAllows(http.send("DELETE", messagesPath("bad-method"), Map.of(), null), "GET", "POST");
    assertAllows(http.send("PUT", messagesPath("bad-method"), Map.of("Content-Type", "application/json"), GOOD), "GET", "POST");
    assertAllows(http.send("PATCH", messagesPath("bad-method"), Map.of("Content-Type", "application/json"), GOOD), "GET", "POST");
    assertAllows(http.postJson("/api/v1/topics/bad-method/stream", GOOD), "GET");
    assertAllows(http.send("DELETE", "/api/v1/topics", Map.of(), null), "GET");
    assertAllows(http.send("DELETE", "/api/v1/cluster", Map.of(), null), "GET");
    assertEquals(0, listedLastOffset(http, "bad-method"), "PUT/PATCH stored nothing");
  }

  @Test
  void badQueryParametersAre400NamingTheParameter() {
    String topic = goodTopic();
    String path = messagesPath(topic);
    assertInvalid(http.get(path + "?from=0"), "from");
    assertInvalid(http.get(path + "?from=-1"), "from");
    assertInvalid(http.get(path + "?from=x"), "from");
    assertInvalid(http.get(path + "?from="), "from");
    assertInvalid(http.get(path + "?from=99999999999999999999"), "from");
    assertInvalid(http.get(path + "?limit=0"), "limit");
    assertInvalid(http.get(path + "?limit=100000"), "limit");
    assertInvalid(http.get(path + "?limit=1001"), "limit");
    assertInvalid(http.get(path + "?limit=ten"), "limit");
    assertInvalid(http.get(path + "?from=0&limit=0"), "from", "limit");
    assertInvalid(http.get("/api/v1/topics?limit=0"), "limit");
    assertInvalid(http.get("/api/v1/topics?limit=100000"), "limit");
    assertInvalid(http.get("/api/v1/topics?after=bad%20cursor"), "after");
    assertNothingStored(topic);
  }

  /** A fresh topic holding one good message at offset 1. */
  private static String goodTopic() {
    String topic = "bad-" + TOPICS.incrementAndGet();
    assertEquals(1, publish(http, topic, "{\"ok\":true}").get("offset").asLong());
    return topic;
  }

  private static void assertNothingStored(String topic) {
    JsonNode page = messages(http, topic, "limit=1000");
    assertEquals(List.of(1L), offsets(page), () -> "messages of " + topic + ": " + page);
    assertEquals(true, page.get("messages").get(0).get("content").get("ok").asBoolean());
    assertEquals(1, listedLastOffset(http, topic), "lastOffset in the topic list");
    assertEquals(2, publish(http, topic, "{\"after\":true}").get("offset").asLong(), "no offset was taken");
  }

  private static void assertAllows(HttpClientForTests.Answer answer, String... methods) {
    assertProblem(answer, 405);
    String allow = answer.header("Allow");
    assertTrue(allow != null, "405 without Allow");
    Set<String> allowed = new HashSet<>();
    for (String m : allow.split(",")) {
      allowed.add(m.trim());
    }
    assertEquals(Set.of(methods), allowed, () -> "Allow: " + allow);
  }
}
