package io.troupe.runtime.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.readside.Slices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The retag migration, on journal rows written the way the plugin writes them: old single tags
 * move to slices, a changed slice count moves them again, offsets follow without skipping.
 */
class RetagEventsBySliceTest {

  private static final List<String> SESSIONS = ids("Session|agent~", 24);
  private static final List<String> THEATERS = ids("DeconflictionCoordinator|theater-", 6);

  @Test
  void everyTaggedEntityIsATagTheMigrationKnows() {
    assertTrue(RetagEventsBySlice.TAGS.contains(Session.TAG));
  }

  @Test
  void singleTagEventsMoveToTheirSlicesAndOffsetsCarryOver() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    Schema.create(db, 4);
    long last = 0;
    try (Connection c = connect(db)) {
      for (String id : SESSIONS) {
        last = write(c, id, 3, "session");
      }
      for (String id : THEATERS) {
        write(c, id, 2, "deconfliction");
      }
      write(c, "Topic|untagged", 1, "other-1");
      setOffset(c, "agent-sessions", "session", last - 5);
      setOffset(c, "model-costs", "session", last - 7);
      setOffset(c, "deconfliction", "deconfliction", 9);
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO pekko_projection_management VALUES ('model-costs', 'session', true, 0)");
      }
    }
    long events = count(db, "SELECT count(*) FROM event_tag");

    Schema.create(db, 4); // the checksum (4) was recorded on the empty database: nothing runs
    assertEquals(List.of("session"), strings(db, "SELECT DISTINCT tag FROM event_tag WHERE tag LIKE 'session%'"));

    Schema.create(db, 5);
    assertTagsMatchSlices(db, 5);
    assertEquals(events, count(db, "SELECT count(*) FROM event_tag"));
    assertEquals(List.of("other-1"), strings(db, "SELECT tag FROM event_tag t JOIN event_journal j ON j.ordering = t.event_id"
        + " WHERE j.persistence_id = 'Topic|untagged'"), "other tags are left alone");
    assertEquals(offsets("session", 5, last - 5), offsets(db, "agent-sessions"));
    assertEquals(offsets("session", 5, last - 7), offsets(db, "model-costs"));
    assertEquals(offsets("deconfliction", 5, 9), offsets(db, "deconfliction"));
    assertEquals(5, count(db, "SELECT count(*) FROM pekko_projection_management WHERE projection_name = 'model-costs'"
        + " AND projection_key LIKE 'session-%' AND paused"), "a paused projection stays paused");
    assertEquals(0, count(db, "SELECT count(*) FROM pekko_projection_management WHERE projection_key = 'session'"));

    Schema.create(db, 5);
    assertTagsMatchSlices(db, 5);
    assertEquals(offsets("session", 5, last - 5), offsets(db, "agent-sessions"));
  }

  @Test
  void aNewSliceCountMovesEventsAgainAndStartsEachSliceAtTheLowestOldOffset() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    Schema.create(db, 3);
    try (Connection c = connect(db)) {
      for (String id : SESSIONS) {
        write(c, id, 2, Slices.tag("session", id, 3));
      }
      setOffset(c, "agent-sessions", "session-0", 40);
      setOffset(c, "agent-sessions", "session-1", 25);
      setOffset(c, "agent-sessions", "session-2", 33);
      setOffset(c, "model-costs", "session-0", 40); // the other slices applied nothing yet
    }
    assertTagsMatchSlices(db, 3);

    Schema.create(db, 2);
    assertTagsMatchSlices(db, 2);
    assertEquals(offsets("session", 2, 25), offsets(db, "agent-sessions"));
    assertEquals(Map.of(), offsets(db, "model-costs"), "slices that applied nothing start from the beginning");
  }

  private static void assertTagsMatchSlices(DatabaseTarget db, int slices) throws Exception {
    try (Connection c = connect(db); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT j.persistence_id, t.tag FROM event_tag t"
             + " JOIN event_journal j ON j.ordering = t.event_id WHERE t.tag ~ '^(session|deconfliction)'")) {
      int rows = 0;
      while (rs.next()) {
        String id = rs.getString(1);
        String base = id.startsWith("Session|") ? "session" : "deconfliction";
        assertEquals(Slices.tag(base, id, slices), rs.getString(2), id);
        rows++;
      }
      assertTrue(rows > 0);
    }
  }

  /** Writes {@code events} events of {@code persistenceId}, each tagged {@code tag}; answers the last ordering. */
  private static long write(Connection c, String persistenceId, int events, String tag) throws Exception {
    long ordering = 0;
    for (int seq = 1; seq <= events; seq++) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO event_journal (persistence_id, sequence_number,"
          + " writer, event_ser_id, event_ser_manifest, event_payload) VALUES (?, ?, 'w', 1, 'm', '\\x00') RETURNING ordering")) {
        ps.setString(1, persistenceId);
        ps.setLong(2, seq);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          ordering = rs.getLong(1);
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO event_tag (event_id, tag) VALUES (?, ?)")) {
        ps.setLong(1, ordering);
        ps.setString(2, tag);
        ps.executeUpdate();
      }
    }
    return ordering;
  }

  private static void setOffset(Connection c, String projection, String key, long offset) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO pekko_projection_offset_store VALUES (?, ?, ?, 'SEQ', false, 0)")) {
      ps.setString(1, projection);
      ps.setString(2, key);
      ps.setString(3, Long.toString(offset));
      ps.executeUpdate();
    }
  }

  private static Map<String, Long> offsets(String baseTag, int slices, long offset) {
    Map<String, Long> offsets = new TreeMap<>();
    Slices.tags(baseTag, slices).forEach(tag -> offsets.put(tag, offset));
    return offsets;
  }

  private static Map<String, Long> offsets(DatabaseTarget db, String projection) throws Exception {
    Map<String, Long> offsets = new TreeMap<>();
    try (Connection c = connect(db); PreparedStatement ps = c.prepareStatement(
        "SELECT projection_key, current_offset, manifest FROM pekko_projection_offset_store WHERE projection_name = ?")) {
      ps.setString(1, projection);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          assertEquals("SEQ", rs.getString(3));
          offsets.put(rs.getString(1), Long.parseLong(rs.getString(2)));
        }
      }
    }
    return offsets;
  }

  private static List<String> ids(String prefix, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(prefix + i);
    }
    return ids;
  }

  private static Connection connect(DatabaseTarget db) throws Exception {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  private static long count(DatabaseTarget db, String sql) throws Exception {
    try (Connection c = connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static List<String> strings(DatabaseTarget db, String sql) throws Exception {
    List<String> values = new ArrayList<>();
    try (Connection c = connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }
}
