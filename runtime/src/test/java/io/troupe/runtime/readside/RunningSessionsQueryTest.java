package io.troupe.runtime.readside;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.db.Database;
import io.troupe.runtime.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the session reviver wakes: sessions the read side shows RUNNING, except those whose last
 * journaled event ended them (the read side lagging behind the journal), in id order, by age, in pages.
 */
class RunningSessionsQueryTest {

  private static final String EVENT = "io.troupe.runtime.agent.Session$";

  @Test
  void runningRowsWhoseJournalEndedThemAreLeftOut() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Instant hourAgo = now.minus(1, ChronoUnit.HOURS);
    try (Connection c = TestDatabase.connect(db)) {
      session(c, "a-running", "RUNNING", hourAgo, "SessionStarted", "LlmResponded", "ToolCallStarted");
      session(c, "b-completed-not-projected", "RUNNING", hourAgo, "SessionStarted", "LlmResponded", "SessionCompleted");
      session(c, "c-just-started", "RUNNING", now);
      session(c, "d-completed", "COMPLETED", hourAgo, "SessionStarted", "SessionCompleted");
      session(c, "e-cancelled-not-projected", "RUNNING", hourAgo, "SessionStarted", "SessionCancelled");
      session(c, "f-failed-not-projected", "RUNNING", hourAgo, "SessionStarted", "SessionFailed");
      session(c, "g-parked-not-projected", "RUNNING", hourAgo, "SessionStarted", "SessionResumed", "SessionParked");
      session(c, "h-resumed", "RUNNING", hourAgo, "SessionStarted", "SessionResumed");
    }
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (Database database = new Database(db, 1, executor)) {
      SessionQueries queries = new SessionQueries(database);
      assertEquals(List.of("a-running", "c-just-started", "h-resumed"), running(queries, "", null, 100));
      assertEquals(List.of("a-running", "h-resumed"), running(queries, "", now.minusSeconds(60), 100),
          "only those started before the given time");
      assertEquals(List.of("a-running"), running(queries, "", null, 1), "at most the limit");
      assertEquals(List.of("c-just-started", "h-resumed"), running(queries, "a-running", null, 100),
          "the next page starts after the id given");
    } finally {
      executor.shutdownNow();
    }
  }

  private static List<String> running(SessionQueries queries, String after, Instant before, int limit) throws Exception {
    return queries.running(after, before, limit).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** An agent_session row and its journal's events, by event class name (payloads are not read). */
  private static void session(Connection c, String id, String status, Instant started, String... events)
      throws Exception {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO agent_session (session_id, agent_name, status,"
        + " started_at, last_seq_nr) VALUES (?, 'agent', ?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, status);
      ps.setObject(3, java.time.OffsetDateTime.ofInstant(started, java.time.ZoneOffset.UTC));
      ps.setLong(4, events.length);
      ps.executeUpdate();
    }
    for (int i = 0; i < events.length; i++) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO event_journal (persistence_id, sequence_number,"
          + " writer, event_ser_id, event_ser_manifest, event_payload) VALUES (?, ?, 'w', 1, ?, '\\x00')")) {
        ps.setString(1, "Session|" + id);
        ps.setLong(2, i + 1);
        ps.setString(3, EVENT + events[i]);
        ps.executeUpdate();
      }
    }
  }
}
