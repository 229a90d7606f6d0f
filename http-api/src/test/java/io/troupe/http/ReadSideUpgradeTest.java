package io.troupe.http;

import static io.troupe.http.SpectrumCalls.approved;
import static io.troupe.http.SpectrumCalls.decide;
import static io.troupe.http.SpectrumCalls.putRoe;
import static io.troupe.http.SpectrumCalls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.RetagEventsBySlice;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A node of this version started on a database of the previous layout (the pre-Flyway schema,
 * every event tagged with one tag per entity type, one projection instance each with its offset
 * under that tag) catches up every read table with no duplicate and no gap.
 *
 * <p>The old database is built the way the old build would have left it: a node journals two
 * rounds of sessions and decisions through the HTTP API; then the database is taken back to the
 * old layout as of a stop between the rounds: the second round journaled but not yet projected
 * (its read rows removed, the single projections' offsets at the first round's last events),
 * every event tag back to the single tag, and no Flyway history.
 */
class ReadSideUpgradeTest {

  private static final Duration READ_SIDE_LAG = Duration.ofSeconds(60);
  /** Projection name to the base tag it reads. */
  private static final Map<String, String> PROJECTIONS = Map.of(
      "agent-sessions", Session.TAG, "model-costs", Session.TAG, "deconfliction", DeconflictionCoordinator.TAG,
      "agents", io.troupe.runtime.agent.Agent.TAG, "api-users", io.troupe.runtime.governance.security.ApiUser.TAG);
  /** The projections the previous layout had (agents and users were listed from their entities then). */
  private static final List<String> OLD_PROJECTIONS = List.of("agent-sessions", "model-costs", "deconfliction");
  private static final Map<String, String> READ_TABLES = new LinkedHashMap<>();

  static {
    READ_TABLES.put("agent_session", "session_id");
    READ_TABLES.put("model_cost_session", "session_id");
    READ_TABLES.put("model_cost", "session_id, iteration");
    READ_TABLES.put("deconfliction_decision", "decision_id");
    READ_TABLES.put("frequency_allocation", "allocation_id");
    READ_TABLES.put("roe_violation", "decision_id, violation_index");
    READ_TABLES.put("agent", "name");
    READ_TABLES.put("api_user", "user_id");
  }

  @Test
  void theMigrationKnowsEveryTaggedEntity() {
    assertTrue(RetagEventsBySlice.TAGS.containsAll(PROJECTIONS.values()), RetagEventsBySlice.TAGS::toString);
  }

  @Test
  void aNodeOnAnOldLayoutDatabaseCatchesUpEveryReadTableOnce() throws Exception {
    DatabaseTarget db = TestDatabase.preFlyway();
    String firstAgent = AgentCalls.uniqueName("upgrade-first");
    String secondAgent = AgentCalls.uniqueName("upgrade-second");
    long firstRoundEnd;
    Map<String, List<List<String>>> expected;
    try (RunningNode node = RunningNode.startAlone(db)) {
      round(node.http, firstAgent, "upgrade-a");
      awaitCaughtUp(db);
      firstRoundEnd = TestDatabase.count(db, "SELECT max(ordering) FROM event_journal");
      String released = round(node.http, secondAgent, "upgrade-b");
      HttpClientForTests.Answer release = node.http.send("DELETE", "/api/v1/allocations/" + released, Map.of(), "");
      assertTrue(release.status() / 100 == 2, release::body);
      awaitCaughtUp(db);
      expected = readTables(db);
    }
    assertTrue(expected.get("agent_session").size() >= 6 && expected.get("roe_violation").size() >= 2, expected::toString);

    backToTheOldLayout(db, firstRoundEnd, secondAgent, "upgrade-b");
    assertTrue(readTables(db).get("agent_session").size() < expected.get("agent_session").size());
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM event_tag WHERE tag ~ '^(agent|api-user)-'"));

    try (RunningNode node = RunningNode.startAlone(db)) {
      awaitCaughtUp(db);
      assertEquals(expected, readTables(db));
    }
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM event_tag WHERE tag IN ('session', 'deconfliction')"));
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM pekko_projection_offset_store WHERE projection_key NOT LIKE '%-_'"));
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND type = 'BASELINE'"));
  }

  /**
   * Three sessions of {@code agent} (each a tool call and an answer) and, in {@code theater}, a
   * rule, an approval, a denial for the rule and a conflict; answers the approved allocation.
   */
  private static String round(HttpClientForTests http, String agent, String theater) {
    AgentCalls.define(http, agent, AgentCalls.scripted("upgrader", List.of("read_topic"),
        AgentCalls.toolThenAnswer("looking", "read_topic", "{\"topic\":\"t\"}", "done")));
    for (int i = 0; i < 3; i++) {
      AgentCalls.awaitStatus(http, AgentCalls.start(http, agent, "input " + i), "COMPLETED");
    }
    putRoe(http, theater, "{\"restrictedBands\":[{\"minMhz\":2400,\"maxMhz\":2500,\"severity\":\"HIGH\",\"reason\":\"ISM\"}]}");
    String allocation = approved(http, request(theater, "first", 1000));
    assertEquals("DENIED", decide(http, request(theater, "wifi", 2450).put("bandwidthKhz", 1000)).get("status").asText());
    assertEquals("CONFLICT", decide(http, request(theater, "second", 1000)).get("status").asText());
    return allocation;
  }

  /**
   * The database as the previous build left it when stopped after the first round was projected
   * and the second journaled: old tags, old offsets, the second round's read rows not there yet.
   */
  private static void backToTheOldLayout(DatabaseTarget db, long firstRoundEnd, String secondAgent, String secondTheater)
      throws Exception {
    try (Connection c = TestDatabase.connect(db); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("DROP TABLE flyway_schema_history");
      // Agents and users had no read tables, and their events no tags.
      s.execute("DROP TABLE agent");
      s.execute("DROP TABLE api_user");
      s.execute("DROP INDEX event_tag_tag_idx"); // V5's
      s.execute("DELETE FROM event_tag WHERE tag ~ '^(agent|api-user)-[0-9]+$'");
      for (String tag : List.of(Session.TAG, DeconflictionCoordinator.TAG)) {
        s.execute("UPDATE event_tag SET tag = '" + tag + "' WHERE tag LIKE '" + tag + "-%'");
      }
      s.execute("DELETE FROM pekko_projection_offset_store");
      s.execute("DELETE FROM pekko_projection_management");
      for (Map.Entry<String, String> p : PROJECTIONS.entrySet()) {
        if (!OLD_PROJECTIONS.contains(p.getKey())) {
          continue;
        }
        s.execute("INSERT INTO pekko_projection_offset_store SELECT '" + p.getKey() + "', tag, max(event_id)::text,"
            + " 'SEQ', false, 0 FROM event_tag WHERE tag = '" + p.getValue() + "' AND event_id <= " + firstRoundEnd
            + " GROUP BY tag");
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM agent_session WHERE agent_name = ?")) {
        ps.setString(1, secondAgent);
        assertEquals(3, ps.executeUpdate());
      }
      for (String table : List.of("model_cost", "model_cost_session")) {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE agent = ?")) {
          ps.setString(1, secondAgent);
          assertTrue(ps.executeUpdate() >= 3, table);
        }
      }
      for (String table : List.of("deconfliction_decision", "frequency_allocation", "roe_violation")) {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE theater = ?")) {
          ps.setString(1, secondTheater);
          assertTrue(ps.executeUpdate() >= 1, table);
        }
      }
      c.commit();
    }
    assertEquals(3, TestDatabase.count(db, "SELECT count(*) FROM pekko_projection_offset_store"));
  }

  /** Until every projection's offset for every tag it reads is at that tag's last event. */
  private static void awaitCaughtUp(DatabaseTarget db) {
    Eventually.await(READ_SIDE_LAG, "every projection at the journal's end", () -> {
      try {
        long behind = 0;
        for (Map.Entry<String, String> p : PROJECTIONS.entrySet()) {
          behind += TestDatabase.count(db, "SELECT count(*) FROM (SELECT tag, max(event_id) AS last FROM event_tag"
              + " WHERE tag LIKE '" + p.getValue() + "%' GROUP BY tag) t LEFT JOIN pekko_projection_offset_store o"
              + " ON o.projection_name = '" + p.getKey() + "' AND o.projection_key = t.tag"
              + " WHERE o.current_offset IS NULL OR o.current_offset::bigint < t.last");
        }
        return behind == 0 ? Optional.of(true) : Optional.empty();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static Map<String, List<List<String>>> readTables(DatabaseTarget db) throws Exception {
    Map<String, List<List<String>>> tables = new LinkedHashMap<>();
    for (Map.Entry<String, String> table : READ_TABLES.entrySet()) {
      if (TestDatabase.count(db, "SELECT count(*) FROM pg_tables WHERE tablename = '" + table.getKey() + "'") == 0) {
        continue; // not in the old layout
      }
      tables.put(table.getKey(), TestDatabase.rows(db, "SELECT * FROM " + table.getKey() + " ORDER BY " + table.getValue()));
    }
    return tables;
  }
}
