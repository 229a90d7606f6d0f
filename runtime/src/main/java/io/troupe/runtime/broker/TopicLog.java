package io.troupe.runtime.broker;

import io.troupe.monitoring.Metrics;
import io.troupe.runtime.db.Database;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Reads topics straight from the journal, from any node: a topic's offsets are its event
 * sequence numbers (see {@link Topic}), so a page of messages is one indexed range query on
 * (persistence_id, sequence_number) and never wakes the topic entity.
 */
public final class TopicLog {

  private static final String PID_PREFIX = Topic.ENTITY_KEY.name() + "|";

  /**
   * Lists topics in name order after a cursor. A recursive CTE walks the journal's primary-key
   * index one distinct persistence id at a time (a "loose index scan"), so the cost grows with
   * the number of topics returned, not with the number of messages stored.
   */
  private static final String LIST_TOPICS = """
      WITH RECURSIVE ids(pid) AS (
        (SELECT persistence_id FROM event_journal
          WHERE persistence_id > ? AND persistence_id LIKE ? ORDER BY persistence_id LIMIT 1)
        UNION ALL
        SELECT (SELECT persistence_id FROM event_journal
                 WHERE persistence_id > ids.pid AND persistence_id LIKE ? ORDER BY persistence_id LIMIT 1)
          FROM ids WHERE ids.pid IS NOT NULL
      )
      SELECT pid, (SELECT max(sequence_number) FROM event_journal j WHERE j.persistence_id = ids.pid)
        FROM ids WHERE pid IS NOT NULL LIMIT ?
      """;

  private final ActorSystem<?> system;
  private final Database database;
  private final JdbcReadJournal readJournal;
  private final org.apache.pekko.actor.ActorRef mediator;
  private final Metrics metrics;
  private final int liveBuffer;

  public TopicLog(ActorSystem<?> system, Database database) {
    this.system = system;
    this.database = database;
    this.readJournal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.mediator = DistributedPubSub.get(Adapter.toClassic(system)).mediator();
    this.metrics = Metrics.get(system);
    this.liveBuffer = system.settings().config().getInt("troupe.broker.stream-live-buffer");
  }

  /** Up to {@code limit} stored messages of {@code topic} from offset {@code from}, in offset order. */
  public CompletionStage<List<Topic.MessagePublished>> read(String topic, long from, int limit) {
    return range(topic, from, saturatedEnd(from, limit)).runWith(Sink.seq(), system);
  }

  /** A page of topics whose names sort after {@code after} (empty for the first page). */
  public CompletionStage<List<TopicSummary>> list(String after, int limit) {
    return database.query(c -> {
      try (PreparedStatement s = c.prepareStatement(LIST_TOPICS)) {
        String like = PID_PREFIX + "%";
        s.setString(1, PID_PREFIX + after);
        s.setString(2, like);
        s.setString(3, like);
        s.setInt(4, limit);
        List<TopicSummary> topics = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            topics.add(new TopicSummary(rs.getString(1).substring(PID_PREFIX.length()), rs.getLong(2)));
          }
        }
        return topics;
      }
    });
  }

  /**
   * Stored messages from {@code from} (or, when absent, none: only new ones), then every new
   * message as it is published, without gaps or repeats, until the stream is cancelled.
   *
   * <p>The stream subscribes to the topic's live feed first and only then reads the journal, so
   * no message falls between the two. One ordered stage then decides for each message whether to
   * deliver it, drop it (already delivered), or first read the missing range from the journal: a
   * live message ahead of the next expected offset was preceded by messages this stream did not
   * get live (dropped from the bounded buffer by a slow reader, or announced out of order while
   * the topic moved between nodes). Every offset below an announced one is already committed,
   * so the decision needs nothing but the offsets themselves.
   */
  public Source<Topic.MessagePublished, NotUsed> follow(String topic, OptionalLong from) {
    return Source.lazySource(() -> {
      Pair<org.apache.pekko.actor.ActorRef, Source<Object, NotUsed>> live =
          Source.<Object>actorRef(msg -> Optional.empty(), msg -> Optional.empty(), liveBuffer, OverflowStrategy.dropHead())
              .preMaterialize(system);
      CompletionStage<Object> subscribed = Patterns.ask(mediator,
          new DistributedPubSubMediator.Subscribe(Topic.liveFeed(topic), live.first()), Duration.ofSeconds(5));
      Source<Topic.MessagePublished, NotUsed> stored = from.isPresent()
          ? range(topic, from.getAsLong(), Long.MAX_VALUE)
          : Source.empty();
      Source<Topic.MessagePublished, NotUsed> fresh = live.second().collectType(Topic.MessagePublished.class);
      return Source.completionStage(subscribed)
          .flatMapConcat(ack -> stored.concat(fresh))
          .statefulMapConcat(() -> new Sequencer(from.orElse(0)))
          .flatMapConcat(step -> step.fillTo() == 0
              ? Source.single(step.message())
              : range(topic, step.fillFrom(), step.fillTo()))
          .watchTermination((mat, done) -> {
            metrics.brokerLiveStreams.inc();
            done.whenComplete((d, e) -> {
              metrics.brokerLiveStreams.dec();
              // Stops the live buffer's actor, which unsubscribes it from the feed.
              live.first().tell(new org.apache.pekko.actor.Status.Success(NotUsed.getInstance()),
                  org.apache.pekko.actor.ActorRef.noSender());
            });
            return mat;
          });
    }).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** Deliver {@code message}, or (when {@code fillTo} > 0) read offsets [fillFrom, fillTo] from the journal. */
  record Step(Topic.MessagePublished message, long fillFrom, long fillTo) {}

  /** Decides, in stream order, what each arriving message means for a follower. */
  static final class Sequencer implements org.apache.pekko.japi.function.Function<Topic.MessagePublished, Iterable<Step>> {
    /** The next offset to deliver; 0 while unknown (the first message sets it). */
    private long next;

    Sequencer(long next) {
      this.next = next;
    }

    @Override
    public Iterable<Step> apply(Topic.MessagePublished m) {
      long expected = next;
      if (expected != 0 && m.offset() < expected) {
        return List.of();
      }
      next = m.offset() + 1;
      if (expected == 0 || m.offset() == expected) {
        return List.of(new Step(m, 0, 0));
      }
      return List.of(new Step(null, expected, m.offset()));
    }
  }

  private Source<Topic.MessagePublished, NotUsed> range(String topic, long from, long to) {
    return readJournal.currentEventsByPersistenceId(Topic.persistenceId(topic).id(), from, to)
        .map(envelope -> (Topic.MessagePublished) envelope.event());
  }

  private static long saturatedEnd(long from, int limit) {
    return from > Long.MAX_VALUE - limit ? Long.MAX_VALUE : from + limit - 1;
  }
}
