package io.troupe.runtime.journal;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Follows one persistent entity from any node: its stored events from a sequence number, then
 * each new one as the entity announces it on a cluster pub-sub feed, without gaps or repeats,
 * until the stream is cancelled.
 *
 * <p>The stream joins the feed first ({@link LiveFeeds}: one subscription per feed per node, shared
 * by its followers) and only then reads the journal, so nothing falls
 * between the two. A live event ahead of the next expected sequence number (one dropped from the
 * bounded buffer by a slow reader, or announced out of order while the entity moved between
 * nodes) makes the stream read the missing range from the journal ({@link Sequencer}).
 */
public final class JournalFollower {

  private final ActorSystem<?> system;
  private final JdbcReadJournal readJournal;
  private final LiveFeeds feeds;
  private final int liveBuffer;

  public JournalFollower(ActorSystem<?> system, int liveBuffer) {
    this.system = system;
    this.readJournal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.feeds = LiveFeeds.get(system);
    this.liveBuffer = liveBuffer;
  }

  /**
   * One follower's stream; materialize it once (it is one follower, joined to the feed when it runs).
   *
   * <p>One graph per follower, with no nested or pre-materialized parts: the live buffer is an
   * {@code actorRef} source in the same graph, joined to the feed when the graph materializes
   * ({@code concat} materializes both sides at once); the stored events are read once the join
   * is acknowledged; the events in between are buffered by the live side. When the stream ends,
   * the buffer's actor stops, which leaves the feed. Gaps are filled by {@code mapAsync}, not a
   * sub-stream per event. (A follower used to cost a lazy source, a pre-materialized buffer
   * graph and a sub-stream materialization per delivered event.)
   *
   * @param from the first sequence number to deliver; empty: only events announced from now on
   * @param live what a feed message means: the event it announces, if it announces one
   */
  public <E> Source<Sequenced<E>, NotUsed> follow(String persistenceId, String feed, OptionalLong from,
                                                   Function<Object, Optional<Sequenced<E>>> live) {
    CompletableFuture<Object> joined = new CompletableFuture<>();
    Source<Sequenced<E>, NotUsed> fresh = Source.<Object>actorRef(msg -> Optional.empty(), msg -> Optional.empty(),
            liveBuffer, OverflowStrategy.dropHead())
        .mapMaterializedValue(ref -> {
          feeds.join(feed, ref, Duration.ofSeconds(5)).whenComplete((ack, error) -> {
            if (error != null) {
              joined.completeExceptionally(error);
            } else {
              joined.complete(ack);
            }
          });
          return NotUsed.getInstance();
        })
        .mapConcat(msg -> live.apply(msg).map(java.util.List::of).orElse(java.util.List.of()));
    Source<Sequenced<E>, NotUsed> stored = Source.completionStage(joined).flatMapConcat(ack -> from.isPresent()
        ? this.<E>range(persistenceId, from.getAsLong(), Long.MAX_VALUE)
        : Source.<Sequenced<E>>empty());
    return stored.concat(fresh)
        .statefulMapConcat(() -> new Sequencer<E>(from.orElse(0)))
        .mapAsync(1, step -> step.fillTo() == 0
            ? CompletableFuture.completedFuture(java.util.List.of(step.item()))
            : this.<E>range(persistenceId, step.fillFrom(), step.fillTo()).runWith(Sink.seq(), system))
        .mapConcat(items -> items);
  }

  /** Stored events [from, to] in order. */
  @SuppressWarnings("unchecked")
  public <E> Source<Sequenced<E>, NotUsed> range(String persistenceId, long from, long to) {
    return readJournal.currentEventsByPersistenceId(persistenceId, from, to)
        .map(envelope -> new Sequenced<>(envelope.sequenceNr(), (E) envelope.event()));
  }
}
