package io.troupe.runtime.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/** The Topic entity on a real node and a real PostgreSQL journal. */
@TroupeNodeTest
class TopicTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  @FromNode private static NodeFixture fixture;

  private static Topic.Published publish(ActorRef<Topic.Command> topic, String sender) {
    TestProbe<StatusReply<Topic.Published>> probe = fixture.testKit.createTestProbe();
    topic.tell(new Topic.Publish(sender, null, "note", "{\"n\":\"" + sender + "\"}", probe.getRef()));
    StatusReply<Topic.Published> reply = probe.receiveMessage(TIMEOUT);
    assertTrue(reply.isSuccess(), () -> "publish failed: " + reply);
    return reply.getValue();
  }

  private static long lastOffset(ActorRef<Topic.Command> topic) {
    TestProbe<Topic.Info> probe = fixture.testKit.createTestProbe();
    topic.tell(new Topic.GetInfo(probe.getRef()));
    return probe.receiveMessage(TIMEOUT).lastOffset();
  }

  private static List<EventEnvelope> journal(String topic) throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(fixture.node.system().classicSystem())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal.currentEventsByPersistenceId(Topic.persistenceId(topic).id(), 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), fixture.node.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void offsetsStartAtOneAndIncreaseByOne() {
    ActorRef<Topic.Command> topic = fixture.testKit.spawn(Topic.create("first-offsets", 1000));
    assertEquals(0, lastOffset(topic));
    assertEquals(1, publish(topic, "a").offset());
    assertEquals(2, publish(topic, "b").offset());
    assertEquals(3, publish(topic, "c").offset());
    assertEquals(3, lastOffset(topic));
  }

  @Test
  void eachOffsetIsTheSequenceNumberOfItsJournaledEvent() throws Exception {
    ActorRef<Topic.Command> topic = fixture.testKit.spawn(Topic.create("offset-is-seqnr", 1000));
    for (int i = 0; i < 5; i++) {
      publish(topic, "s" + i);
    }
    List<EventEnvelope> events = journal("offset-is-seqnr");
    assertEquals(5, events.size());
    for (EventEnvelope e : events) {
      Topic.MessagePublished m = (Topic.MessagePublished) e.event();
      assertEquals(e.sequenceNr(), m.offset());
    }
  }

  @Test
  void recoversItsOffsetAfterRestartFromSnapshotAndEvents() throws Exception {
    ActorRef<Topic.Command> topic = fixture.testKit.spawn(Topic.create("recovering", 3));
    for (int i = 0; i < 7; i++) {
      publish(topic, "m" + i);
    }
    fixture.testKit.stop(topic, TIMEOUT);

    ActorRef<Topic.Command> again = fixture.testKit.spawn(Topic.create("recovering", 3));
    assertEquals(7, lastOffset(again));
    assertEquals(8, publish(again, "after-restart").offset());
    assertTrue(snapshots("Topic|recovering") > 0, "a snapshot was written every 3 messages");
    List<Long> offsets = journal("recovering").stream()
        .map(e -> ((Topic.MessagePublished) e.event()).offset()).toList();
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), offsets);
  }

  @Test
  void concurrentPublishersThroughShardingGetGaplessOffsets() throws Exception {
    var ref = ClusterSharding.get(fixture.node.system()).entityRefFor(Topic.ENTITY_KEY, "concurrent");
    int publishers = 8;
    int perPublisher = 50;
    List<CompletableFuture<Topic.Published>> acks = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      for (int i = 0; i < perPublisher; i++) {
        String sender = "publisher-" + p;
        acks.add(ref.<Topic.Published>askWithStatus(
            replyTo -> new Topic.Publish(sender, null, "n", "1", replyTo), TIMEOUT).toCompletableFuture());
      }
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    List<Long> acked = acks.stream().map(f -> f.join().offset()).sorted().toList();
    List<Long> expected = new ArrayList<>();
    for (long o = 1; o <= publishers * perPublisher; o++) {
      expected.add(o);
    }
    assertEquals(expected, acked, "every publish got a distinct offset, with no gap");
    List<Long> stored = journal("concurrent").stream()
        .map(e -> ((Topic.MessagePublished) e.event()).offset()).toList();
    assertEquals(expected, stored, "the journal holds them in offset order");
  }

  @Test
  void aPublishRepeatedWithTheSameIdempotencyKeyIsAppendedOnceAlsoAfterRestart() throws Exception {
    ActorRef<Topic.Command> topic = fixture.testKit.spawn(Topic.create("keyed", 2));
    TestProbe<StatusReply<Topic.Published>> probe = fixture.testKit.createTestProbe();
    topic.tell(new Topic.Publish("s", null, "n", "1", "key-a", probe.getRef()));
    Topic.Published first = probe.receiveMessage(TIMEOUT).getValue();
    assertEquals(1, first.offset());
    assertEquals(false, first.repeated());
    publish(topic, "unkeyed");
    topic.tell(new Topic.Publish("s", null, "n", "1", "key-a", probe.getRef()));
    Topic.Published again = probe.receiveMessage(TIMEOUT).getValue();
    assertEquals(1, again.offset(), "the original offset");
    assertTrue(again.repeated());

    fixture.testKit.stop(topic, TIMEOUT); // keys survive recovery (snapshot every 2, then events)
    ActorRef<Topic.Command> recovered = fixture.testKit.spawn(Topic.create("keyed", 2));
    recovered.tell(new Topic.Publish("s", null, "n", "1", "key-a", probe.getRef()));
    assertTrue(probe.receiveMessage(TIMEOUT).getValue().repeated());
    recovered.tell(new Topic.Publish("s", null, "n", "1", "key-b", probe.getRef()));
    assertEquals(3, probe.receiveMessage(TIMEOUT).getValue().offset());
    assertEquals(3, journal("keyed").size(), "three distinct messages, no repeat stored");
  }

  @Test
  void aPublishMissingFieldsIsRefusedAndNothingIsStored() throws Exception {
    ActorRef<Topic.Command> topic = fixture.testKit.spawn(Topic.create("refused", 1000));
    TestProbe<StatusReply<Topic.Published>> probe = fixture.testKit.createTestProbe();
    topic.tell(new Topic.Publish(null, null, "n", "1", probe.getRef()));
    assertTrue(probe.receiveMessage(TIMEOUT).isError());
    assertEquals(0, lastOffset(topic));
    assertEquals(0, journal("refused").size());
  }

  private static long snapshots(String persistenceId) throws Exception {
    return fixture.node.database().query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM snapshot WHERE persistence_id = ?")) {
        s.setString(1, persistenceId);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
