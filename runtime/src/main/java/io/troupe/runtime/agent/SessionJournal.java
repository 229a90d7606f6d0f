package io.troupe.runtime.agent;

import io.troupe.runtime.journal.Sequenced;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Reads a session's journal for its readers (the API's view and event stream, and a session
 * started without replay after its replay failed), past events that cannot be read: an event that
 * cannot be deserialized, or that {@link SessionState#apply} throws on, is skipped and named in
 * {@link Read#unreadable}, and the rest are folded. A journal that cannot be reached fails as before.
 */
final class SessionJournal {

  /** Beyond this many unreadable events a read gives up (each one costs a read of the rest). */
  static final int MAX_UNREADABLE = 100;

  private SessionJournal() {}

  /** One event that could not be read: its sequence number and why. */
  record Unreadable(long seqNr, String error) {}

  /** The readable events in order, the state they fold to, and the events skipped. */
  record Read(List<Sequenced<Session.Event>> events, SessionState state, List<Unreadable> unreadable) {

    /**
     * The state a reader is shown: the folded one; but a session with unreadable events that is
     * not parked yet (or whose start cannot be read) is shown FAILED_RECOVERY, with the reason
     * its entity is being parked for: it cannot resume without its journal.
     */
    SessionState shown() {
      if (unreadable.isEmpty() || state.status() != SessionState.Status.RUNNING
          && state.status() != SessionState.Status.NEW) {
        return state;
      }
      return state.apply(new Session.SessionParked(0, reason(), state.startedAt() == null ? null : Instant.now()));
    }

    /** "FAILED_RECOVERY: its journal cannot be replayed: event #n: error" (the first unreadable event). */
    String reason() {
      Unreadable first = unreadable.get(0);
      return Session.FAILED_RECOVERY + ": its journal cannot be replayed (event #" + first.seqNr() + ": "
          + first.error() + (unreadable.size() > 1 ? "; " + (unreadable.size() - 1) + " more unreadable" : "")
          + "); it runs nothing: cancel it";
    }
  }

  static CompletionStage<Read> read(ActorSystem<?> system, JdbcReadJournal journal, String persistenceId) {
    return readFrom(system, journal, persistenceId, 1, new ArrayList<>(), new ArrayList<>()).thenApply(read -> {
      SessionState state = SessionState.EMPTY;
      List<Sequenced<Session.Event>> applied = new ArrayList<>();
      List<Unreadable> unreadable = new ArrayList<>(read.unreadable());
      for (Sequenced<Session.Event> e : read.events()) {
        try {
          state = state.apply(e.event());
          applied.add(e);
        } catch (RuntimeException failed) {
          unreadable.add(new Unreadable(e.seqNr(), SessionRecoveryFailures.message(failed)));
        }
      }
      unreadable.sort(java.util.Comparator.comparingLong(Unreadable::seqNr));
      return new Read(List.copyOf(applied), state, List.copyOf(unreadable));
    });
  }

  private static CompletionStage<Read> readFrom(ActorSystem<?> system, JdbcReadJournal journal, String persistenceId,
                                                long from, List<Sequenced<Session.Event>> events,
                                                List<Unreadable> unreadable) {
    List<Sequenced<Session.Event>> got = new ArrayList<>(); // filled by one stream, in order, read after it ended
    return journal.currentEventsByPersistenceId(persistenceId, from, Long.MAX_VALUE)
        .runWith(Sink.foreach(e -> got.add(new Sequenced<>(e.sequenceNr(), (Session.Event) e.event()))), system)
        .handle((done, failure) -> {
          events.addAll(got);
          if (failure == null) {
            return CompletableFuture.completedFuture(new Read(events, null, unreadable));
          }
          if (!SessionRecoveryFailures.replayError(failure) || unreadable.size() >= MAX_UNREADABLE) {
            return CompletableFuture.<Read>failedFuture(failure);
          }
          // Events come in order, so the one that failed follows the last one read.
          long bad = got.isEmpty() ? from : got.get(got.size() - 1).seqNr() + 1;
          unreadable.add(new Unreadable(bad, SessionRecoveryFailures.message(failure)));
          return readFrom(system, journal, persistenceId, bad + 1, events, unreadable);
        })
        .thenCompose(next -> next);
  }
}
