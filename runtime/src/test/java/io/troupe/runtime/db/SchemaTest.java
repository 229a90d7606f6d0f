package io.troupe.runtime.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The schema is migrated by Flyway: again and again without harm, once when several nodes start
 * at once, and a database the pre-Flyway script created is adopted at version 1.
 */
class SchemaTest {

  /** Everything the catalog says about Troupe's tables, except Flyway's own. */
  private static final List<String> CATALOG = List.of(
      "SELECT table_name, column_name, data_type, character_maximum_length, collation_name, is_nullable, column_default"
          + " FROM information_schema.columns WHERE table_schema = current_schema()"
          + " AND table_name <> 'flyway_schema_history' ORDER BY 1, 2",
      "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
          + " AND tablename <> 'flyway_schema_history' ORDER BY 1, 2",
      "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
          + " WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text <> 'flyway_schema_history'"
          + " ORDER BY 1, 2");

  @Test
  void creatingTheSchemaAgainKeepsTablesAndData() throws Exception {
    DatabaseTarget db = TestDatabase.fresh(); // schema created once already
    insertJournalRow(db);
    Schema.create(db);
    Schema.create(db);
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM event_journal"));
    assertEquals(4, TestDatabase.count(db, "SELECT count(*) FROM information_schema.tables WHERE table_name IN"
        + " ('event_journal','event_tag','snapshot','durable_state')"));
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND success"));
  }

  @Test
  void versionOneIsThePreFlywaySchemaExactly() throws Exception {
    DatabaseTarget legacy = TestDatabase.preFlyway();
    DatabaseTarget v1 = TestDatabase.empty();
    Flyway.configure().dataSource(v1.jdbcUrl(), v1.user(), v1.password()).locations(Schema.LOCATION)
        .target("1").load().migrate();
    for (String query : CATALOG) {
      assertEquals(TestDatabase.rows(legacy, query), TestDatabase.rows(v1, query), query);
    }
  }

  @Test
  void theJournalHasWidePersistenceIdsThatSortBytewise() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    assertEquals(512, TestDatabase.count(db, "SELECT character_maximum_length FROM information_schema.columns"
        + " WHERE table_name = 'event_journal' AND column_name = 'persistence_id'"));
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'event_journal'"
        + " AND column_name = 'persistence_id' AND collation_name = 'C'"), "ids sort bytewise");
  }

  @Test
  void aPreFlywayDatabaseIsAdoptedAtVersionOneWithItsData() throws Exception {
    DatabaseTarget db = TestDatabase.preFlyway();
    insertJournalRow(db);
    Schema.create(db);
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM event_journal"));
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND type = 'BASELINE'"));
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND type <> 'BASELINE'"),
        "V1 did not run again");
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE NOT success"));
    Schema.create(db);
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE version = '1'"));
  }

  @Test
  void aSchemaHoldingOtherTablesGetsTroupesTablesToo() throws Exception {
    DatabaseTarget db = TestDatabase.empty();
    try (Connection c = TestDatabase.connect(db); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE someone_elses (id INT)");
    }
    Schema.create(db);
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM event_journal"));
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND type = 'SQL' AND success"));
  }

  @Test
  void nodesStartingAtOnceOnAnEmptyDatabaseMigrateItOnce() throws Exception {
    DatabaseTarget db = TestDatabase.empty();
    int nodes = 4;
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    CountDownLatch ready = new CountDownLatch(nodes);
    try {
      List<Future<?>> starts = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        starts.add(pool.submit(() -> {
          ready.countDown();
          ready.await();
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
    assertEquals(2, TestDatabase.count(db, "SELECT count(*) FROM pg_indexes WHERE tablename = 'event_journal'"));
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM ("
        + "SELECT coalesce(version, description) FROM flyway_schema_history GROUP BY 1 HAVING count(*) > 1) twice"),
        "every migration recorded once");
    assertEquals(1, TestDatabase.count(db, "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND success"));
  }

  private static void insertJournalRow(DatabaseTarget db) throws Exception {
    try (Connection c = TestDatabase.connect(db); Statement s = c.createStatement()) {
      s.execute("INSERT INTO event_journal (persistence_id, sequence_number, writer, event_ser_id, event_ser_manifest, event_payload)"
          + " VALUES ('x|1', 1, 'w', 1, 'm', '\\x00')");
    }
  }
}
