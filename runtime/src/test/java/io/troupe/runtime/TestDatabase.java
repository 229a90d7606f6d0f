package io.troupe.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.EmbeddedDatabase;
import io.troupe.runtime.db.Schema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for tests. By default one embedded server per test JVM (started on first
 * use, in a temporary directory); with {@code TROUPE_TEST_DB_URL} (and optionally
 * {@code TROUPE_TEST_DB_USER}, {@code TROUPE_TEST_DB_PASSWORD}) an external server, whose user
 * must be allowed to create databases. Every call to {@link #fresh()} gives a new database with
 * Troupe's schema and no data, so tests never see each other's data.
 */
public final class TestDatabase {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedDatabase embedded;

  private TestDatabase() {}

  /** The migrated, empty database every fresh one is copied from (created on first use). */
  private static DatabaseTarget template;

  /**
   * A new database with Troupe's schema and no data. The migrations run once per JVM, into a
   * template database; each fresh database is a copy of it ({@code CREATE DATABASE ... TEMPLATE}),
   * which PostgreSQL makes in a fraction of the time Flyway takes to migrate an empty one. The
   * copy carries the migration history, so a node started on it finds nothing left to migrate.
   */
  public static synchronized DatabaseTarget fresh() {
    try {
      if (template == null) {
        DatabaseTarget migrated = empty();
        Schema.create(migrated);
        template = migrated;
      }
      String name = "troupe_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
      String templateName = template.jdbcUrl().substring(template.jdbcUrl().lastIndexOf('/') + 1).replaceAll("\\?.*", "");
      // Any server connection that is not to the template itself (which must have none while copied).
      String serverUrl = template.jdbcUrl().replace("/" + templateName, "/postgres");
      try (Connection c = DriverManager.getConnection(serverUrl, template.user(), template.password());
           Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name + " TEMPLATE " + templateName);
      }
      return new DatabaseTarget(template.jdbcUrl().replace("/" + templateName, "/" + name), template.user(),
          template.password());
    } catch (Exception e) {
      throw new IllegalStateException("could not create a test database", e);
    }
  }

  /**
   * A new database as the last build before Flyway left it: the tables of its schema script
   * ({@code legacy/troupe-schema-pre-flyway.sql}, run the way that build ran it), no history.
   */
  public static DatabaseTarget preFlyway() {
    DatabaseTarget target = empty();
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement s = c.createStatement()) {
      for (String sql : preFlywayStatements()) {
        s.execute(sql);
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not run the pre-Flyway schema script", e);
    }
    return target;
  }

  /** The pre-Flyway script's statements, split as its Schema class split them (";" at line end). */
  public static List<String> preFlywayStatements() throws IOException {
    String script;
    try (InputStream in = TestDatabase.class.getResourceAsStream("/legacy/troupe-schema-pre-flyway.sql")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("--") || trimmed.isEmpty()) {
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        statements.add(current.toString().strip().replaceAll(";$", ""));
        current.setLength(0);
      }
    }
    return statements;
  }

  /** A new, empty database: no tables at all. */
  public static synchronized DatabaseTarget empty() {
    String name = "troupe_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try {
      DatabaseTarget target;
      String external = System.getenv("TROUPE_TEST_DB_URL");
      if (external != null && !external.isBlank()) {
        target = createOnExternal(external.trim(), name);
      } else {
        if (embedded == null) {
          Path dir = Files.createTempDirectory("troupe-test-pg");
          embedded = EmbeddedDatabase.start(dir, 0);
        }
        embedded.createDatabaseIfAbsent(name);
        target = embedded.target(name);
      }
      return target;
    } catch (Exception e) {
      throw new IllegalStateException("could not prepare a test database", e);
    }
  }

  /** Node configuration pointing at {@code target} instead of an embedded server. */
  public static Config nodeConfig(DatabaseTarget target) {
    return ConfigFactory.parseMap(Map.of(
        "troupe.db.url", target.jdbcUrl(),
        "troupe.db.user", target.user(),
        "troupe.db.password", target.password(),
        "troupe.db.jdbc-url", target.jdbcUrl()));
  }

  private static DatabaseTarget createOnExternal(String url, String name) throws Exception {
    String user = envOr("TROUPE_TEST_DB_USER", "postgres");
    String password = envOr("TROUPE_TEST_DB_PASSWORD", "");
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    // jdbc:postgresql://host:port/db?params -> same server, database `name`
    int slash = url.indexOf('/', "jdbc:postgresql://".length());
    int query = url.indexOf('?', Math.max(slash, 0));
    String base = slash < 0 ? url : url.substring(0, slash);
    String params = query < 0 ? "" : url.substring(query);
    return new DatabaseTarget(base + "/" + name + params, user, password);
  }

  private static String envOr(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  /** A connection to a test database (the caller closes it). */
  public static Connection connect(DatabaseTarget db) throws Exception {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  /** The first column of the first row of {@code sql}, as a number (a count, a maximum). */
  public static long count(DatabaseTarget db, String sql) throws Exception {
    try (Connection c = connect(db); Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Every row of {@code sql}, each column as text, for comparing tables row by row. */
  public static List<List<String>> rows(DatabaseTarget db, String sql) throws Exception {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = connect(db); Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= columns; i++) {
          row.add(rs.getString(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }
}
