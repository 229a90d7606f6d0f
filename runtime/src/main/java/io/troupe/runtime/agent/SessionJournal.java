package io.troupe.runtime.agent;

import io.troupe.runtime.journal.Sequenced;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import io.troupe.runtime.db.NodeDatabase;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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

  /**
   * A session's events, as the read journal's by-persistence-id query selects them but only the
   * columns an event needs: one SELECT on the node's query pool, each row deserialized here. So an
   * event that cannot be deserialized is skipped where it is, and the read goes on; through the
   * read journal's stream (which fails at such an event) each one cost a new query for the rest,
   * and every read a Slick stream: several times the query's own cost (BENCHMARKS.md, reads).
   */
  private static final String EVENTS = "SELECT sequence_number, event_ser_id, event_ser_manifest, event_payload"
      + " FROM event_journal WHERE persistence_id = ? AND sequence_number >= 1 AND deleted = false"
      + " ORDER BY sequence_number";

  private static final String FIRST = EVENTS + " LIMIT 1";

  static CompletionStage<Read> read(ActorSystem<?> system, String persistenceId) {
    return rows(system, persistenceId, EVENTS).thenApply(read -> {
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
    return rows(system, persistenceId, FIRST).thenApply(read -> read.events().isEmpty() || read.events().get(0).seqNr() != 1
        ? java.util.Optional.empty() : java.util.Optional.of(read.events().get(0).event()));
  }

  /** The rows {@code sql} selects, deserialized; a row that does not deserialize is named in {@code unreadable}. */
  private static CompletionStage<Read> rows(ActorSystem<?> system, String persistenceId, String sql) {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    return NodeDatabase.get(system).database().query(c -> {
      List<Sequenced<Session.Event>> events = new ArrayList<>();
      List<Unreadable> unreadable = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setString(1, persistenceId);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long seqNr = rs.getLong(1);
            scala.util.Try<Object> event = serialization.deserialize(rs.getBytes(4), rs.getInt(2), rs.getString(3));
            if (event.isFailure()) {
              unreadable.add(new Unreadable(seqNr, SessionRecoveryFailures.message(event.failed().get())));
            } else if (event.get() instanceof Session.Event e) {
              events.add(new Sequenced<>(seqNr, e));
            } else {
              unreadable.add(new Unreadable(seqNr, "not a session event: " + event.get().getClass().getName()));
            }
          }
        }
      }
      return new Read(events, null, unreadable);
    });
  }
}
