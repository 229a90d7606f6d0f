package io.troupe.runtime.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reading topics from the journal: pages, the topic list, and live follow. The node runs with a
 * live buffer of two messages so that slow readers overflow it and the gap-fill path (re-reading
 * dropped messages from the journal) is exercised, not just the happy path.
 */
@TroupeNodeTest(config = "troupe.broker.stream-live-buffer = 2")
class TopicLogTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  @FromNode private static NodeFixture fixture;
  private static TopicLog log;

  @BeforeAll
  static void start() {
    log = fixture.node.topicLog();
  }

  private static CompletableFuture<Topic.Published> publish(String topic, int n) {
    return ClusterSharding.get(fixture.node.system()).entityRefFor(Topic.ENTITY_KEY, topic)
        .<Topic.Published>askWithStatus(r -> new Topic.Publish("s", null, "t", Integer.toString(n), r), TIMEOUT)
        .toCompletableFuture();
  }

  private static void publishInOrder(String topic, int count) throws Exception {
    for (int i = 1; i <= count; i++) {
      publish(topic, i).get(10, TimeUnit.SECONDS);
    }
  }

  private static List<Long> offsets(List<Topic.MessagePublished> messages) {
    return messages.stream().map(Topic.MessagePublished::offset).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long o = from; o <= to; o++) {
      out.add(o);
    }
    return out;
  }

  @Test
  void readsAPageFromAnOffset() throws Exception {
    publishInOrder("paged", 10);
    assertEquals(range(4, 6), offsets(log.read("paged", 4, 3).toCompletableFuture().get(10, TimeUnit.SECONDS)));
    assertEquals(range(9, 10), offsets(log.read("paged", 9, 100).toCompletableFuture().get(10, TimeUnit.SECONDS)));
    assertEquals(List.of(), log.read("paged", 11, 100).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals(List.of(), log.read("never-published", 1, 100).toCompletableFuture().get(10, TimeUnit.SECONDS));
  }

  @Test
  void listsTopicsWithTheirLastOffsetsPageByPageAndNothingElse() throws Exception {
    publishInOrder("list-a", 2);
    publishInOrder("list-b", 3);
    publishInOrder("list-c", 1);
    // A subscriber's events share the journal but are not a topic.
    fixture.testKit.spawn(Subscriber.create("list-a/reader"));
    List<TopicSummary> all = log.list("list-", 100).toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
        .filter(t -> t.topic().startsWith("list-")).toList();
    assertEquals(List.of(new TopicSummary("list-a", 2), new TopicSummary("list-b", 3), new TopicSummary("list-c", 1)), all);
    assertEquals(List.of(new TopicSummary("list-b", 3)),
        log.list("list-a", 1).toCompletableFuture().get(10, TimeUnit.SECONDS));
  }

  @Test
  void followReplaysStoredMessagesThenDeliversLiveOnesWithoutGapsOrRepeats() throws Exception {
    publishInOrder("followed", 20);
    CompletionStage<List<Topic.MessagePublished>> seen = log.follow("followed", OptionalLong.of(5))
        .take(196) // 5..200
        .runWith(Sink.seq(), fixture.node.system());
    // Live messages arrive concurrently while the stream replays, overflowing its 2-slot buffer.
    List<CompletableFuture<Topic.Published>> live = new ArrayList<>();
    for (int i = 21; i <= 200; i++) {
      live.add(publish("followed", i));
    }
    CompletableFuture.allOf(live.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertEquals(range(5, 200), offsets(seen.toCompletableFuture().get(30, TimeUnit.SECONDS)));
  }

  @Test
  void aSlowReaderWhoseLiveBufferOverflowsStillSeesEveryMessageInOrder() throws Exception {
    CompletionStage<List<Topic.MessagePublished>> seen = log.follow("slow-reader", OptionalLong.of(1))
        .throttle(20, Duration.ofMillis(100))
        .take(60)
        .runWith(Sink.seq(), fixture.node.system());
    List<CompletableFuture<Topic.Published>> burst = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      burst.add(publish("slow-reader", i));
    }
    CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertEquals(range(1, 60), offsets(seen.toCompletableFuture().get(30, TimeUnit.SECONDS)));
  }

  @Test
  void withoutAStartOffsetFollowDeliversOnlyNewMessages() throws Exception {
    publishInOrder("tail-only", 3);
    CompletionStage<List<Topic.MessagePublished>> seen = log.follow("tail-only", OptionalLong.empty())
        .take(2)
        .runWith(Sink.seq(), fixture.node.system());
    // The subscription is registered asynchronously; keep publishing (bounded) until two arrive.
    CompletableFuture<List<Topic.MessagePublished>> result = seen.toCompletableFuture();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int next = 4;
    while (!result.isDone() && System.nanoTime() < deadline) {
      publish("tail-only", next++).get(10, TimeUnit.SECONDS);
      try {
        result.get(200, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException notYet) {
        // publish another
      }
    }
    List<Long> got = offsets(result.get(1, TimeUnit.SECONDS));
    assertEquals(2, got.size());
    assertEquals(got.get(0) + 1, got.get(1), "consecutive");
    assertEquals(true, got.get(0) >= 4, "stored messages 1..3 are not replayed");
  }
}
