package io.troupe.runtime.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Schema creation is idempotent, also when several nodes start at once against one database. */
class SchemaTest {

  @Test
  void creatingTheSchemaAgainKeepsTablesAndData() throws Exception {
    DatabaseTarget db = TestDatabase.fresh(); // schema created once already
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement s = c.createStatement()) {
      s.execute("INSERT INTO event_journal (persistence_id, sequence_number, writer, event_ser_id, event_ser_manifest, event_payload)"
          + " VALUES ('x|1', 1, 'w', 1, 'm', '\\x00')");
    }
    Schema.create(db);
    Schema.create(db);
    assertEquals(1, count(db, "SELECT count(*) FROM event_journal"));
    assertEquals(4, count(db, "SELECT count(*) FROM information_schema.tables WHERE table_name IN"
        + " ('event_journal','event_tag','snapshot','durable_state')"));
  }

  @Test
  void aDatabaseFromBeforeTheWiderPersistenceIdIsWidened() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE event_journal ALTER COLUMN persistence_id TYPE VARCHAR(255)");
    }
    Schema.create(db);
    assertEquals(512, count(db, "SELECT character_maximum_length FROM information_schema.columns"
        + " WHERE table_name = 'event_journal' AND column_name = 'persistence_id'"));
    assertEquals(1, count(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'event_journal'"
        + " AND column_name = 'persistence_id' AND collation_name = 'C'"), "ids sort bytewise");
  }

  @Test
  void nodesStartingAtOnceAllCreateTheSchemaWithoutError() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()); Statement s = c.createStatement()) {
      s.execute("DROP TABLE event_tag; DROP TABLE event_journal; DROP TABLE snapshot; DROP TABLE durable_state");
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> starts = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        starts.add(pool.submit(() -> {
          Schema.create(db);
          return null;
        }));
      }
      for (Future<?> f : starts) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(2, count(db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'event_journal'"));
  }

  private static long count(DatabaseTarget db, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
         Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
