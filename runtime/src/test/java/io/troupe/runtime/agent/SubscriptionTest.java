package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.broker.Subscriber;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.JournalIds;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;

/**
 * An agent that subscribes to a topic gets one session per message, also across a node restart
 * between two messages: the second node was never told about the subscription; the remembered
 * worker comes back by itself and resumes from the acknowledged offset.
 */
class SubscriptionTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** The API user whose key published the messages: their sessions belong to, and are charged to, that user. */
  private static final String PUBLISHER = "u-publisher";

  private static TroupeNode start(DatabaseTarget db) throws Exception {
    TroupeNode node = TroupeNode.start(TestNodes.config(db, TestNodes.Ports.free(), List.of(), Map.of()));
    Instant deadline = Instant.now().plusSeconds(60);
    while (Cluster.get(node.system()).selfMember().status() != MemberStatus.up() && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
    }
    return node;
  }

  private static void publish(TroupeNode node, String topic, String content) throws Exception {
    ClusterSharding.get(node.system()).entityRefFor(Topic.ENTITY_KEY, topic)
        .<Topic.Published>askWithStatus(r -> new Topic.Publish("tester", null, "note", content, null, PUBLISHER, r),
            TIMEOUT)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static List<SessionView> sessions(TroupeNode node, String agent) throws Exception {
    List<JournalIds.Entry> ids = node.journalIds().newestFirst("Session|" + agent + "~", 100)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<SessionView> views = new ArrayList<>();
    for (JournalIds.Entry e : ids) {
      views.add(ClusterSharding.get(node.system()).entityRefFor(Session.ENTITY_KEY, agent + "~" + e.id())
          .ask(Session.Get::new, TIMEOUT).toCompletableFuture().get(10, TimeUnit.SECONDS));
    }
    return views;
  }

  private static List<SessionView> awaitCompleted(TroupeNode node, String agent, int count) throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    List<SessionView> found = List.of();
    while (Instant.now().isBefore(deadline)) {
      found = sessions(node, agent);
      if (found.size() >= count && found.stream().allMatch(v -> "COMPLETED".equals(v.status()))) {
        return found;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("expected " + count + " completed sessions of " + agent + ", found " + found);
  }

  @Test
  void eachMessageStartsOneSessionAcrossARestartBetweenMessages() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    AgentDefinition definition = new AgentDefinition("Inbox reader", null, "scripted", "script", 0, 8, 30,
        List.of(), List.of("inbox"), List.of(new AgentDefinition.ScriptedReply("noted", List.of())));

    TroupeNode first = start(db);
    try {
      ClusterSharding.get(first.system()).entityRefFor(Agent.ENTITY_KEY, "reader")
          .<Agent.AgentView>askWithStatus(r -> new Agent.Define(definition, r), TIMEOUT)
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      publish(first, "inbox", "{\"n\":1}");
      List<SessionView> one = awaitCompleted(first, "reader", 1);
      assertEquals(1, one.size());
      assertTrue(one.get(0).input().contains("\"offset\":1"), one.get(0).input());
      assertEquals(PUBLISHER, one.get(0).userId(), "the publisher owns (and pays for) the session");
    } finally {
      first.close();
    }

    TroupeNode second = start(db);
    try {
      publish(second, "inbox", "{\"n\":2}");
      List<SessionView> two = awaitCompleted(second, "reader", 2);
      assertEquals(2, two.size(), "one session per message, none repeated: " + two);
      assertTrue(two.get(0).input().contains("\"offset\":2"), "newest first: " + two.get(0).input());
      assertTrue(two.get(1).input().contains("\"offset\":1"));
      Subscriber.Position position = ClusterSharding.get(second.system())
          .entityRefFor(Subscriber.ENTITY_KEY, Subscriber.entityId("inbox", SubscriptionWorker.subscriberName("reader")))
          .ask(Subscriber.GetPosition::new, TIMEOUT).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(2, position.ackedOffset(), "acknowledged once its session was started");
    } finally {
      second.close();
    }
  }
}
