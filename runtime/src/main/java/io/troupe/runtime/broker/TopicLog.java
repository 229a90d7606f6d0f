package io.troupe.runtime.broker;

import io.troupe.runtime.db.Database;
import io.troupe.runtime.db.JournalIds;
import io.troupe.runtime.journal.JournalFollower;
import io.troupe.runtime.journal.JournalRows;
import io.troupe.runtime.journal.Sequenced;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Reads topics straight from the journal, from any node: a topic's offsets are its event
 * sequence numbers (see {@link Topic}), so a page of messages is one indexed range query on
 * (persistence_id, sequence_number) and never wakes the topic entity.
 */
public final class TopicLog {

  private static final String PID_PREFIX = Topic.ENTITY_KEY.name() + "|";

  private final ActorSystem<?> system;
  private final Database database;
  private final Serialization serialization;
  private final JournalIds journalIds;
  private final JournalFollower follower;

  public TopicLog(ActorSystem<?> system, Database database, JournalFollower follower) {
    this.system = system;
    this.database = database;
    this.serialization = SerializationExtension.get(Adapter.toClassic(system));
    this.journalIds = new JournalIds(database);
    this.follower = follower;
  }

  /** Up to {@code limit} stored messages of {@code topic} from offset {@code from}, in offset order. */
  public CompletionStage<List<Topic.MessagePublished>> read(String topic, long from, int limit) {
    // One SELECT on the query pool, deserialized here: through the read journal (a Slick stream
    // per page) a replay cost the edge 0.4 ms of CPU, 8 times a request that reads nothing
    // (BENCHMARKS.md, reads).
    String persistenceId = Topic.persistenceId(topic).id();
    return database.query(c -> {
      List<Topic.MessagePublished> page = new ArrayList<>(Math.min(limit, 1000));
      for (JournalRows.Row row : JournalRows.read(c, serialization, persistenceId, from, limit)) {
        if (row.event().get() instanceof Topic.MessagePublished message) {
          page.add(message);
        }
      }
      return page;
    });
  }

  /** A page of topics whose names sort after {@code after} (empty for the first page). */
  public CompletionStage<List<TopicSummary>> list(String after, int limit) {
    return journalIds.after(PID_PREFIX, after, limit).thenApply(entries -> entries.stream()
        .map(e -> new TopicSummary(e.id(), e.lastSequenceNr())).toList());
  }

  /**
   * Stored messages from {@code from} (or, when absent, none: only new ones), then every new
   * message as it is published, without gaps or repeats, until the stream is cancelled
   * (see {@link JournalFollower}).
   */
  public Source<Topic.MessagePublished, NotUsed> follow(String topic, OptionalLong from) {
    return follower.<Topic.MessagePublished>follow(Topic.persistenceId(topic).id(), Topic.liveFeed(topic), from,
            msg -> msg instanceof Topic.MessagePublished m ? Optional.of(new Sequenced<>(m.offset(), m)) : Optional.empty())
        .map(Sequenced::event);
  }
}
