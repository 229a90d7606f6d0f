package io.troupe.runtime.readside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.llm.ToolCall;
import io.troupe.runtime.llm.Usage;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent_session handler on its own: events in, one row per session out, replays change nothing. */
class SessionProjectionHandlerTest {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final AgentDefinition DEFINITION = new AgentDefinition("Analyst", null, "scripted", "m-1", 0, 8, 30,
      List.of("read_topic", "publish_to_topic"), List.of(), List.of());

  private DatabaseTarget db;
  private long offset;

  @BeforeEach
  void freshDatabase() {
    db = TestDatabase.fresh();
    offset = 0;
  }

  private EventEnvelope<Session.Event> envelope(String sessionId, long seqNr, Session.Event event) {
    return EventEnvelope.create(Offset.sequence(++offset), "Session|" + sessionId, seqNr, event, T0.toEpochMilli());
  }

  private List<EventEnvelope<Session.Event>> completedSession(String id) {
    ToolCall read = new ToolCall("c1", "read_topic", "{}");
    ToolCall again = new ToolCall("c2", "read_topic", "{}");
    return List.of(
        envelope(id, 1, new Session.SessionStarted("analyst", DEFINITION, "go", "u1", T0, null)),
        envelope(id, 2, new Session.LlmResponded(1, null, List.of(read, again), new Usage(10, 5), false, true, 40, T0)),
        envelope(id, 3, new Session.ToolCallStarted("c1", "read_topic", "{}", T0)),
        envelope(id, 4, new Session.ToolCallCompleted("c1", "read_topic", true, "[]", null, 3, T0)),
        envelope(id, 5, new Session.ToolCallStarted("c2", "read_topic", "{}", T0)),
        envelope(id, 6, new Session.ToolCallCompleted("c2", "read_topic", true, "[]", null, 3, T0)),
        envelope(id, 7, new Session.LlmResponded(2, "done", List.of(), new Usage(20, 7), true, true, 0, T0)),
        envelope(id, 8, new Session.SessionCompleted("done", T0.plusMillis(1500))));
  }

  private void process(List<EventEnvelope<Session.Event>> envelopes) throws Exception {
    ReadSideSession session = new ReadSideSession(DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()));
    try {
      new SessionProjectionHandler().process(session, envelopes);
      session.commit();
    } finally {
      session.close();
    }
  }

  @Test
  void aCompletedSessionBecomesOneRowWithItsFigures() throws Exception {
    process(completedSession("analyst~1"));
    Map<String, Object> row = row("analyst~1");
    assertEquals("analyst", row.get("agent_name"));
    assertEquals("Analyst", row.get("role"));
    assertEquals("scripted", row.get("provider"));
    assertEquals("m-1", row.get("model"));
    assertEquals("u1", row.get("user_id"));
    assertEquals("COMPLETED", row.get("status"));
    assertEquals(1500L, row.get("duration_ms"));
    assertEquals(2, row.get("iterations"));
    assertEquals(2, row.get("llm_calls"));
    assertEquals(2, row.get("tool_calls"));
    assertEquals(1, row.get("cache_hits"));
    assertEquals(1, row.get("cache_misses"));
    assertEquals(30L, row.get("input_tokens"));
    assertEquals(12L, row.get("output_tokens"));
    assertEquals("go", row.get("input"));
    assertEquals("done", row.get("output"));
    assertNull(row.get("error"));
    assertEquals("[read_topic]", row.get("tools_used"), "each tool once");
    assertEquals(8L, row.get("last_seq_nr"));
  }

  @Test
  void replayingTheSameEventsLeavesTheSameRows() throws Exception {
    List<EventEnvelope<Session.Event>> events = completedSession("analyst~2");
    process(events);
    Map<String, Object> once = row("analyst~2");
    process(events);
    process(events.subList(2, 7)); // a group delivered again from the middle
    assertEquals(once, row("analyst~2"));
    assertEquals(1, count());
  }

  @Test
  void failuresTimeoutsAndCancellationsAreRecordedWithTheirReason() throws Exception {
    process(List.of(
        envelope("a~f", 1, new Session.SessionStarted("a", DEFINITION, "x", null, T0, null)),
        envelope("a~f", 2, new Session.SessionFailed(false, "model call failed: boom", T0.plusSeconds(2))),
        envelope("a~t", 1, new Session.SessionStarted("a", DEFINITION, "x", null, T0, null)),
        envelope("a~t", 2, new Session.SessionFailed(true, "too long", T0.plusSeconds(3))),
        envelope("a~c", 1, new Session.SessionStarted("a", DEFINITION, "x", null, T0, null)),
        envelope("a~c", 2, new Session.SessionCancelled(T0.plusSeconds(1))),
        envelope("a~r", 1, new Session.SessionStarted("a", DEFINITION, "x", null, T0, null))));
    assertEquals("ERROR", row("a~f").get("status"));
    assertEquals("model call failed: boom", row("a~f").get("error"));
    assertEquals(2000L, row("a~f").get("duration_ms"));
    assertEquals("TIMEOUT", row("a~t").get("status"));
    assertEquals("CANCELLED", row("a~c").get("status"));
    assertEquals("RUNNING", row("a~r").get("status"));
    assertNull(row("a~r").get("ended_at"));
    assertEquals(4, count());
  }

  @Test
  void aParkedSessionIsListedFailedRecoveryWithItsReasonUntilItIsCancelled() throws Exception {
    String reason = "FAILED_RECOVERY: resumed 3 times in a row without completing a step";
    process(List.of(
        envelope("a~p", 1, new Session.SessionStarted("a", DEFINITION, "x", "u1", T0, null)),
        envelope("a~p", 2, new Session.SessionResumed(1, T0.plusSeconds(1))),
        envelope("a~p", 3, new Session.SessionResumed(2, T0.plusSeconds(2))),
        envelope("a~p", 4, new Session.SessionResumed(3, T0.plusSeconds(3))),
        envelope("a~p", 5, new Session.SessionParked(3, reason, T0.plusSeconds(4)))));
    assertEquals("FAILED_RECOVERY", row("a~p").get("status"));
    assertEquals(reason, row("a~p").get("error"));
    assertEquals(4000L, row("a~p").get("duration_ms"));

    process(List.of(envelope("a~p", 6, new Session.SessionCancelled(T0.plusSeconds(60)))));
    assertEquals("CANCELLED", row("a~p").get("status"));
    assertEquals(4000L, row("a~p").get("duration_ms"), "its work ended when it was parked");
  }

  private Map<String, Object> row(String sessionId) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT * FROM agent_session WHERE session_id = '" + sessionId + "'")) {
      if (!rs.next()) {
        throw new AssertionError("no row for " + sessionId);
      }
      ResultSetMetaData meta = rs.getMetaData();
      Map<String, Object> row = new LinkedHashMap<>();
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        Object value = rs.getObject(i);
        if (value instanceof java.sql.Array a) {
          value = Arrays.toString((Object[]) a.getArray());
        } else if (value != null && !(value instanceof Number || value instanceof String)) {
          value = value.toString();
        }
        row.put(meta.getColumnName(i), value);
      }
      return row;
    }
  }

  private long count() throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FROM agent_session")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
