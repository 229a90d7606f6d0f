package io.troupe.http;

import static io.troupe.http.BrokerCalls.allTopics;
import static io.troupe.http.BrokerCalls.body;
import static io.troupe.http.BrokerCalls.messages;
import static io.troupe.http.BrokerCalls.messagesPath;
import static io.troupe.http.BrokerCalls.offsets;
import static io.troupe.http.BrokerCalls.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.troupe.runtime.FromNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Publishing to and reading from topics, and listing topics, over real HTTP on one node. */
@RunningNodeTest
class TopicRoutesTest {

  /** Reads numbers exactly, so "identical content" means identical, not equal after rounding. */
  private static final JsonMapper EXACT = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();
  private static final AtomicInteger TOPICS = new AtomicInteger();

  @FromNode private static HttpClientForTests http;

  @Test
  void publishAnswers201WithTopicOffsetAndPublishedAtStartingAtOne() {
    String topic = "publish-basic";
    Instant before = Instant.now().minusSeconds(1);
    List<JsonNode> answers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpClientForTests.Answer answer = http.postJson(messagesPath(topic), body("alice", "bob", "greeting", "{\"n\":" + i + "}"));
      assertEquals(201, answer.status(), answer::body);
      assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
      answers.add(answer.json());
    }
    Instant after = Instant.now().plusSeconds(1);
    for (int i = 0; i < 3; i++) {
      JsonNode a = answers.get(i);
      assertEquals(topic, a.get("topic").asText());
      assertEquals(i + 1, a.get("offset").asLong());
      Instant at = Instant.parse(a.get("publishedAt").asText());
      assertTrue(!at.isBefore(before) && !at.isAfter(after), () -> "publishedAt " + at);
    }
    JsonNode page = messages(http, topic, "");
    assertEquals(List.of(1L, 2L, 3L), offsets(page));
    for (int i = 0; i < 3; i++) {
      JsonNode m = page.get("messages").get(i);
      assertEquals("alice", m.get("sender").asText());
      assertEquals("bob", m.get("recipient").asText());
      assertEquals("greeting", m.get("messageType").asText());
      assertEquals(i, m.get("content").get("n").asInt());
      assertEquals(Instant.parse(answers.get(i).get("publishedAt").asText()), Instant.parse(m.get("publishedAt").asText()));
    }
  }

  @Test
  void offsetsArePerTopic() {
    assertEquals(1, publish(http, "per-topic-a", "1").get("offset").asLong());
    assertEquals(1, publish(http, "per-topic-b", "1").get("offset").asLong());
    assertEquals(2, publish(http, "per-topic-a", "2").get("offset").asLong());
    assertEquals(2, publish(http, "per-topic-b", "2").get("offset").asLong());
  }

  @Test
  void concurrentPublishesGetGaplessDistinctOffsets() throws Exception {
    String topic = "gapless-concurrent";
    int count = 40;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Long>> offsets = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int n = i;
        offsets.add(CompletableFuture.supplyAsync(() -> publish(http, topic, "{\"n\":" + n + "}").get("offset").asLong(), pool));
      }
      Set<Long> got = new TreeSet<>();
      for (CompletableFuture<Long> f : offsets) {
        got.add(f.get(60, TimeUnit.SECONDS));
      }
      assertEquals(LongStream.rangeClosed(1, count).boxed().toList(), new ArrayList<>(got));
    } finally {
      pool.shutdownNow();
    }
    JsonNode page = messages(http, topic, "limit=1000");
    assertEquals(LongStream.rangeClosed(1, count).boxed().toList(), offsets(page));
    Set<Integer> contents = new TreeSet<>();
    page.get("messages").forEach(m -> contents.add(m.get("content").get("n").asInt()));
    assertEquals(count, contents.size(), "every published message is stored once");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"x\",\"e\":{}}}",
      "[1,\"two\",3.5,null,{\"k\":[]},[[]]]",
      "\"h\\u00e9llo \\\"quoted\\\" \\ud83c\\udf89\\n\\ttab\"",
      "\"\"",
      "42",
      "-3.25",
      "0",
      "null",
      "true",
      "false",
      "{}",
      "[]",
      "12345678901234567890123456789012345678901234567890",
      "3.14159265358979323846264338327950288419716939937510",
      "1.10",
      "6.02214076e+23",
      "1e400"})
  void contentOfAnyJsonTypeComesBackIdentical(String content) throws Exception {
    String topic = "content-" + TOPICS.incrementAndGet();
    publish(http, topic, content);
    HttpClientForTests.Answer answer = http.get(messagesPath(topic));
    assertEquals(200, answer.status());
    JsonNode stored = EXACT.readTree(answer.body()).get("messages").get(0);
    assertTrue(stored.has("content"), "content member present even when null");
    assertEquals(EXACT.readTree(content), stored.get("content"), () -> "stored: " + answer.body());
  }

  @Test
  void recipientIsOptional() {
    String topic = "recipient-optional";
    assertEquals(201, http.postJson(messagesPath(topic), body("alice", null, "broadcast", "{}")).status());
    assertEquals(201, http.postJson(messagesPath(topic), body("alice", "carol", "direct", "{}")).status());
    JsonNode page = messages(http, topic, "");
    assertTrue(page.get("messages").get(0).get("recipient").isNull());
    assertEquals("carol", page.get("messages").get(1).get("recipient").asText());
  }

  @Test
  void readPagesWithFromAndLimitInOffsetOrder() {
    String topic = "paging";
    for (int i = 1; i <= 5; i++) {
      publish(http, topic, "{\"n\":" + i + "}");
    }
    JsonNode all = messages(http, topic, "");
    assertEquals(topic, all.get("topic").asText());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(all));
    assertEquals(6, all.get("nextOffset").asLong());
    all.get("messages").forEach(m -> assertEquals(m.get("offset").asInt(), m.get("content").get("n").asInt()));

    JsonNode p1 = messages(http, topic, "from=2&limit=2");
    assertEquals(List.of(2L, 3L), offsets(p1));
    assertEquals(4, p1.get("nextOffset").asLong());
    JsonNode p2 = messages(http, topic, "from=" + p1.get("nextOffset").asLong() + "&limit=2");
    assertEquals(List.of(4L, 5L), offsets(p2));
    assertEquals(6, p2.get("nextOffset").asLong());
    JsonNode p3 = messages(http, topic, "from=6&limit=2");
    assertEquals(List.of(), offsets(p3));
    assertEquals(6, p3.get("nextOffset").asLong());

    assertEquals(List.of(1L), offsets(messages(http, topic, "limit=1")));
    assertEquals(List.of(3L, 4L, 5L), offsets(messages(http, topic, "from=3")));
    assertEquals(List.of(5L), offsets(messages(http, topic, "from=5&limit=1000")));
  }

  @Test
  void defaultPageIsOneHundredMessages() {
    String topic = "default-limit";
    for (int i = 1; i <= 103; i++) {
      publish(http, topic, Integer.toString(i));
    }
    JsonNode first = messages(http, topic, "");
    assertEquals(LongStream.rangeClosed(1, 100).boxed().toList(), offsets(first));
    assertEquals(101, first.get("nextOffset").asLong());
    JsonNode rest = messages(http, topic, "from=101");
    assertEquals(List.of(101L, 102L, 103L), offsets(rest));
    assertEquals(104, rest.get("nextOffset").asLong());
  }

  @Test
  void emptyTopicReadsAsEmptyList() {
    JsonNode page = messages(http, "never-published", "");
    assertEquals("never-published", page.get("topic").asText());
    assertTrue(page.get("messages").isArray());
    assertEquals(0, page.get("messages").size());
    assertEquals(1, page.get("nextOffset").asLong());
    JsonNode later = messages(http, "never-published", "from=7&limit=3");
    assertEquals(0, later.get("messages").size());
    assertEquals(7, later.get("nextOffset").asLong());
  }

  @Test
  void topicListShowsLastOffsetsAndPagesWithLimitAndAfter() {
    publish(http, "listed-alpha", "1");
    publish(http, "listed-alpha", "2");
    publish(http, "listed-beta", "1");
    for (int i = 0; i < 3; i++) {
      publish(http, "listed-gamma", "1");
    }
    messages(http, "listed-read-only", ""); // read, never published: not a topic yet

    List<JsonNode> onePage = allTopics(http, 1000);
    List<JsonNode> walked = allTopics(http, 2);
    List<String> names = onePage.stream().map(t -> t.get("topic").asText()).toList();
    assertEquals(names, walked.stream().map(t -> t.get("topic").asText()).toList(), "paging with limit=2 and after");
    assertEquals(names.size(), new TreeSet<>(names).size(), "no topic listed twice");
    assertEquals(2, lastOffset(onePage, "listed-alpha"));
    assertEquals(1, lastOffset(onePage, "listed-beta"));
    assertEquals(3, lastOffset(onePage, "listed-gamma"));
    assertFalse(names.contains("listed-read-only"), "a topic nobody published to is not listed");

    HttpClientForTests.Answer first = http.get("/api/v1/topics?limit=1");
    assertEquals(200, first.status());
    assertEquals(1, first.json().get("topics").size());
    assertEquals(first.json().get("topics").get(0).get("topic").asText(), first.json().get("next").asText());

    HttpClientForTests.Answer afterAlpha = http.get("/api/v1/topics?after=listed-alpha&limit=1");
    assertEquals(200, afterAlpha.status());
    assertEquals("listed-beta", afterAlpha.json().get("topics").get(0).get("topic").asText());
    assertEquals(1, afterAlpha.json().get("topics").get(0).get("lastOffset").asLong());

    JsonNode lastPage = http.get("/api/v1/topics?after=" + names.get(names.size() - 1)).json();
    assertEquals(0, lastPage.get("topics").size());
    assertTrue(lastPage.get("next") == null || lastPage.get("next").isNull());
  }

  @Test
  void maxReadLimitIsAcceptedAndPublishAnswersALocation() {
    JsonNode published = publish(http, "location", "\"x\"");
    HttpClientForTests.Answer answer = http.postJson(messagesPath("location"), body("a", null, "t", "1"));
    String location = answer.header("Location");
    assertNotNull(location, "Location header");
    JsonNode viaLocation = messages(http, "location", location.substring(location.indexOf('?') + 1));
    assertEquals(List.of(answer.json().get("offset").asLong()), offsets(viaLocation));
    assertEquals(1, published.get("offset").asLong());
    assertEquals(200, http.get(messagesPath("location") + "?limit=1000").status());
  }

  private static long lastOffset(List<JsonNode> topics, String topic) {
    return topics.stream().filter(t -> t.get("topic").asText().equals(topic))
        .mapToLong(t -> t.get("lastOffset").asLong()).findFirst()
        .orElseThrow(() -> new AssertionError(topic + " not listed in " + topics));
  }

}
