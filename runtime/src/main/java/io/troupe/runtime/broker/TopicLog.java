package io.troupe.runtime.broker;

import io.troupe.runtime.db.Database;
import io.troupe.runtime.db.JournalIds;
import io.troupe.runtime.journal.JournalFollower;
import io.troupe.runtime.journal.Sequenced;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Reads topics straight from the journal, from any node: a topic's offsets are its event
 * sequence numbers (see {@link Topic}), so a page of messages is one indexed range query on
 * (persistence_id, sequence_number) and never wakes the topic entity.
 */
public final class TopicLog {

  private static final String PID_PREFIX = Topic.ENTITY_KEY.name() + "|";

  private final ActorSystem<?> system;
  private final JournalIds journalIds;
  private final JournalFollower follower;

  public TopicLog(ActorSystem<?> system, Database database, JournalFollower follower) {
    this.system = system;
    this.journalIds = new JournalIds(database);
    this.follower = follower;
  }

  /** Up to {@code limit} stored messages of {@code topic} from offset {@code from}, in offset order. */
  public CompletionStage<List<Topic.MessagePublished>> read(String topic, long from, int limit) {
    return range(topic, from, saturatedEnd(from, limit)).runWith(Sink.seq(), system);
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

  private Source<Topic.MessagePublished, NotUsed> range(String topic, long from, long to) {
    return follower.<Topic.MessagePublished>range(Topic.persistenceId(topic).id(), from, to).map(Sequenced::event);
  }

  private static long saturatedEnd(long from, int limit) {
    return from > Long.MAX_VALUE - limit ? Long.MAX_VALUE : from + limit - 1;
  }
}
