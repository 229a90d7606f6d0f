package io.troupe.runtime.agent;

import io.troupe.runtime.db.NodeDatabase;
import io.troupe.runtime.journal.JournalRows;
import io.troupe.runtime.journal.Sequenced;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Reads a session's journal for its readers (the API's view and event stream, and a session
 * started without replay after its replay failed), past events that cannot be read: an event that
 * cannot be deserialized, or that {@link SessionState#apply} throws on, is skipped and named in
 * {@link Read#unreadable}, and the rest are folded. A journal that cannot be reached fails as before.
 */
final class SessionJournal {

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

  /** Every event; a session's are bounded by its state bound (troupe.sessions.max-state-bytes). */
  private static final int ALL = Integer.MAX_VALUE;

  static CompletionStage<Read> read(ActorSystem<?> system, String persistenceId) {
    return rows(system, persistenceId, ALL).thenApply(read -> {
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

  /** The session's first event, when there is one and it can be read (it names the owner). */
  static CompletionStage<java.util.Optional<Session.Event>> first(ActorSystem<?> system, String persistenceId) {
    return rows(system, persistenceId, 1).thenApply(read -> read.events().isEmpty() || read.events().get(0).seqNr() != 1
        ? java.util.Optional.empty() : java.util.Optional.of(read.events().get(0).event()));
  }

  /** The sequence number of the session's last event (0: none), in one row of the journal's index. */
  static CompletionStage<Long> lastSeqNr(ActorSystem<?> system, String persistenceId) {
    return NodeDatabase.get(system).database().query(c -> {
      try (java.sql.PreparedStatement s = c.prepareStatement(
          "SELECT coalesce(max(sequence_number), 0) FROM event_journal WHERE persistence_id = ?")) {
        s.setString(1, persistenceId);
        try (java.sql.ResultSet rs = s.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  /** The first {@code limit} events, deserialized (by {@link JournalRows}); a row that is not a readable session event is named in {@code unreadable}. */
  private static CompletionStage<Read> rows(ActorSystem<?> system, String persistenceId, int limit) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    return NodeDatabase.get(system).database().query(c -> {
      List<Sequenced<Session.Event>> events = new ArrayList<>();
      List<Unreadable> unreadable = new ArrayList<>();
      for (JournalRows.Row row : JournalRows.read(c, serialization, persistenceId, 1, limit)) {
        if (row.event().isFailure()) {
          unreadable.add(new Unreadable(row.seqNr(), SessionRecoveryFailures.message(row.event().failed().get())));
        } else if (row.event().get() instanceof Session.Event e) {
          events.add(new Sequenced<>(row.seqNr(), e));
        } else {
          unreadable.add(new Unreadable(row.seqNr(), "not a session event: " + row.event().get().getClass().getName()));
        }
      }
      return new Read(events, null, unreadable);
    });
  }
}
