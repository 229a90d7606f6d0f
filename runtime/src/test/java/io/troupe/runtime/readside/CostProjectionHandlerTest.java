package io.troupe.runtime.readside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.governance.cost.PricingTable;
import io.troupe.runtime.llm.Usage;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The model_cost handler on its own: one priced row per model call, attributed, replays change nothing. */
class CostProjectionHandlerTest {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final PricingTable PRICES = new PricingTable(List.of(new PricingTable.Price("gpt-4o", 2.5, 10.0)));

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

  private static AgentDefinition on(String model) {
    return new AgentDefinition("Analyst", null, "openai", model, 0, 8, 30, List.of(), List.of(), List.of());
  }

  private void process(List<EventEnvelope<Session.Event>> envelopes) throws Exception {
    ReadSideSession session = new ReadSideSession(DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()));
    try {
      new CostProjectionHandler(PRICES).process(session, envelopes);
      session.commit();
    } finally {
      session.close();
    }
  }

  private List<String> rows() throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT session_id, iteration, user_id, agent, model, priced_as, input_tokens,"
             + " output_tokens, cost_usd, priced, cached FROM model_cost ORDER BY session_id, iteration")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "|" + rs.getInt(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|"
            + rs.getString(5) + "|" + rs.getString(6) + "|" + rs.getLong(7) + "|" + rs.getLong(8) + "|"
            + rs.getBigDecimal(9).stripTrailingZeros().toPlainString() + "|" + rs.getBoolean(10) + "|" + rs.getBoolean(11));
      }
    }
    return rows;
  }

  @Test
  void eachModelCallBecomesOnePricedRowAndReplaysChangeNothing() throws Exception {
    List<EventEnvelope<Session.Event>> events = List.of(
        envelope("a~1", 1, new Session.SessionStarted("a", on("gpt-4o-2024-08-06"), "go", "u1", T0, null)),
        envelope("a~1", 2, new Session.LlmResponded(1, "", List.of(), new Usage(1000, 100), false, true, 40, T0)),
        envelope("a~1", 3, new Session.LlmResponded(2, "done", List.of(), new Usage(1000, 100), true, true, 0, T0)),
        envelope("b~1", 1, new Session.SessionStarted("b", on("llama-3"), "go", null, T0, null)),
        envelope("b~1", 2, new Session.LlmResponded(1, "x", List.of(), new Usage(50, 5), false, false, 40, T0)));
    process(events.subList(0, 2));
    process(events.subList(2, 5)); // the attribution of a~1 comes from the table in a later group
    process(events); // a replay of everything
    assertEquals(List.of(
        "a~1|1|u1|a|gpt-4o-2024-08-06|gpt-4o|1000|100|0.0035|true|false",
        "a~1|2|u1|a|gpt-4o-2024-08-06|gpt-4o|1000|100|0|true|true",
        "b~1|1|anonymous|b|llama-3|null|50|5|0|false|false"), rows());
  }

  @Test
  void aCallOfASessionNeverSeenStartedIsSkippedNotFailed() throws Exception {
    process(List.of(envelope("ghost~1", 2, new Session.LlmResponded(1, "", List.of(), new Usage(1, 1), false, true, 1, T0))));
    assertTrue(rows().isEmpty());
    assertFalse(rows().contains("ghost"));
  }
}
