package io.troupe.runtime.journal;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.OverflowStrategy;
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
   * @param from the first sequence number to deliver; empty: only events announced from now on
   * @param live what a feed message means: the event it announces, if it announces one
   */
  public <E> Source<Sequenced<E>, NotUsed> follow(String persistenceId, String feed, OptionalLong from,
                                                   Function<Object, Optional<Sequenced<E>>> live) {
    return Source.lazySource(() -> {
      Pair<org.apache.pekko.actor.ActorRef, Source<Object, NotUsed>> buffer =
          Source.<Object>actorRef(msg -> Optional.empty(), msg -> Optional.empty(), liveBuffer, OverflowStrategy.dropHead())
              .preMaterialize(system);
      CompletionStage<Object> subscribed = feeds.join(feed, buffer.first(), Duration.ofSeconds(5));
      Source<Sequenced<E>, NotUsed> stored = from.isPresent()
          ? this.<E>range(persistenceId, from.getAsLong(), Long.MAX_VALUE)
          : Source.empty();
      Source<Sequenced<E>, NotUsed> fresh = buffer.second()
          .mapConcat(msg -> live.apply(msg).map(java.util.List::of).orElse(java.util.List.of()));
      return Source.completionStage(subscribed)
          .flatMapConcat(ack -> stored.concat(fresh))
          .statefulMapConcat(() -> new Sequencer<E>(from.orElse(0)))
          .flatMapConcat(step -> step.fillTo() == 0
              ? Source.single(step.item())
              : this.<E>range(persistenceId, step.fillFrom(), step.fillTo()))
          .watchTermination((mat, done) -> {
            // Stops the live buffer's actor, which leaves the feed (the last one ends its subscription).
            done.whenComplete((d, e) -> buffer.first().tell(
                new org.apache.pekko.actor.Status.Success(NotUsed.getInstance()), org.apache.pekko.actor.ActorRef.noSender()));
            return mat;
          });
    }).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** Stored events [from, to] in order. */
  @SuppressWarnings("unchecked")
  public <E> Source<Sequenced<E>, NotUsed> range(String persistenceId, long from, long to) {
    return readJournal.currentEventsByPersistenceId(persistenceId, from, to)
        .map(envelope -> new Sequenced<>(envelope.sequenceNr(), (E) envelope.event()));
  }
}
