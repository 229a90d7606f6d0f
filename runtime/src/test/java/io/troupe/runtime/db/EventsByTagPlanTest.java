package io.troupe.runtime.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A projection instance whose tag has no new events polls the read journal every refresh
 * interval; that poll must not cost work that grows with the journal (BENCHMARKS.md, "Where
 * PostgreSQL's CPU went"). It did twice over: event_tag had no index leading with the tag, and the
 * journal's connections let PostgreSQL keep a generic plan that walked the whole ordering window.
 */
class EventsByTagPlanTest {

  /** The read journal's events-by-tag statement as pekko-persistence-jdbc 1.1 sends it, parameters inlined (a custom plan). */
  private static final String EVENTS_BY_TAG = """
      SELECT x2.x3, x2.x10 FROM (SELECT "ordering" AS x3, "event_payload" AS x10 FROM event_journal
        WHERE "deleted" = false) x2, event_tag x16
      WHERE x16.tag = '%s' AND x2.x3 > %d AND x2.x3 <= %d AND x2.x3 = x16.event_id
      ORDER BY x2.x3 LIMIT 500""";

  private static final int JOURNAL_ROWS = 20_000;

  @Test
  void anIdleTagsPollReadsNoJournalRows() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    try (Connection c = TestDatabase.connect(db); Statement s = c.createStatement()) {
      s.execute("INSERT INTO event_journal (persistence_id, sequence_number, writer, event_ser_id, event_ser_manifest,"
          + " event_payload) SELECT 'Session|plan-' || (g / 6), g % 6, 'w', 1, 'm', '\\x00'::bytea"
          + " FROM generate_series(1, " + JOURNAL_ROWS + ") g");
      s.execute("INSERT INTO event_tag (event_id, tag) SELECT ordering, 'session-' || (ordering % 4) FROM event_journal");
      s.execute("ANALYZE event_journal");
      s.execute("ANALYZE event_tag");
      long max = TestDatabase.count(db, "SELECT max(ordering) FROM event_journal");

      JsonNode plan = explain(s, String.format(EVENTS_BY_TAG, "agent-1", 0, max));
      long touched = rowsTouched(plan);
      assertTrue(touched < 100, "an idle tag's poll touched " + touched + " rows of " + JOURNAL_ROWS + ": " + plan);
    }
  }

  @Test
  void theJournalsConnectionsPlanEveryStatementWithItsParameters() {
    // The read journal's pool: no server-side prepared statements, so no generic plans (see persistence.conf).
    assertEquals(0, ConfigFactory.load().getInt(
        "pekko-persistence-jdbc.shared-databases.slick-read.db.properties.prepareThreshold"));
  }

  private static JsonNode explain(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)) {
      rs.next();
      return new ObjectMapper().readTree(rs.getString(1)).get(0).get("Plan");
    }
  }

  /** Rows every node of the plan produced or read and threw away. */
  private static long rowsTouched(JsonNode node) {
    long own = node.path("Actual Rows").asLong() * Math.max(1, node.path("Actual Loops").asLong())
        + node.path("Rows Removed by Filter").asLong() + node.path("Rows Removed by Join Filter").asLong();
    long children = 0;
    for (JsonNode child : node.path("Plans")) {
      children += rowsTouched(child);
    }
    return own + children;
  }
}
