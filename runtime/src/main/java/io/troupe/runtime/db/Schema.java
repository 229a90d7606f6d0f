package io.troupe.runtime.db;

import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.readside.Slices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings Troupe's database to the current schema on every start, with Flyway: the versioned SQL
 * migrations under {@value #LOCATION} ({@code V1__troupe_schema.sql} is the schema as the last
 * pre-Flyway build left it; each later change is one more {@code V<n>__...} file, never an edit
 * of an applied one), recorded in {@code flyway_schema_history}.
 *
 * <p>Several nodes starting at once against one database migrate it once: each takes the
 * session advisory lock {@link #ADVISORY_LOCK_KEY} around the whole migration (Flyway also locks
 * its own work), so the others wait, then find nothing left to do.
 *
 * <p>A database created by the pre-Flyway script ({@code troupe-schema.sql}, run on every start)
 * has the journal but no history table: it is adopted by a Flyway baseline at version 1, so V1
 * never runs on it and later versions do. Any other schema without a history table (empty, or
 * holding unrelated tables) gets a baseline at 0 where it needs one, so V1 runs on it.
 *
 * <p>After the versioned migrations, the repeatable {@link RetagEventsBySlice} runs whenever the
 * read side's slice count differs from the one it last ran with.
 */
public final class Schema {

  private static final Logger log = LoggerFactory.getLogger(Schema.class);

  static final String LOCATION = "classpath:troupe/db/migration";
  /** Serializes concurrent nodes, so only one decides how to adopt a database and migrates it. */
  private static final long ADVISORY_LOCK_KEY = 0x7472_6f75_7065L; // "troupe"
  static final String HISTORY_TABLE = "flyway_schema_history";

  private Schema() {}

  /**
   * Migrates {@code target} to the current schema, with the read side's slice count from the
   * application configuration ({@code troupe.read-side.slices}).
   */
  public static void create(DatabaseTarget target) throws SQLException {
    create(target, Slices.count(ConfigFactory.load()));
  }

  /**
   * Migrates {@code target} to the current schema (see the class comment) and its stored events
   * to {@code slices} read-side slices ({@link RetagEventsBySlice}).
   */
  public static void create(DatabaseTarget target, int slices) throws SQLException {
    try (Connection lock = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password())) {
      try (Statement s = lock.createStatement()) {
        s.execute("SELECT pg_advisory_lock(" + ADVISORY_LOCK_KEY + ")");
      }
      try {
        boolean preFlyway = tableExists(lock, "event_journal") && !tableExists(lock, HISTORY_TABLE);
        MigrateResult result = Flyway.configure()
            .dataSource(target.jdbcUrl(), target.user(), target.password())
            .locations(LOCATION)
            .table(HISTORY_TABLE)
            .baselineOnMigrate(true)
            .baselineVersion(preFlyway ? "1" : "0")
            .baselineDescription(preFlyway ? "adopted: created by troupe-schema.sql" : "<< Flyway Baseline >>")
            .javaMigrations(new TagAgentAndUserEvents(slices), new RetagEventsBySlice(slices))
            .load()
            .migrate();
        if (preFlyway) {
          log.info("Adopted a database created before Flyway at schema version 1");
        }
        if (result.migrationsExecuted > 0) {
          log.info("Schema migrations applied: {}", result.migrations.stream()
              .map(m -> (m.version.isEmpty() ? "" : "V" + m.version + " ") + m.description).toList());
        }
      } finally {
        try (Statement s = lock.createStatement()) {
          s.execute("SELECT pg_advisory_unlock(" + ADVISORY_LOCK_KEY + ")");
        }
      }
    }
  }

  private static boolean tableExists(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }
}
