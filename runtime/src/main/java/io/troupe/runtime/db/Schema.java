package io.troupe.runtime.db;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates Troupe's tables on start, idempotently: a second start against the same database, or
 * several nodes starting at once against a shared one, all succeed.
 */
public final class Schema {

  private static final String RESOURCE = "/troupe-schema.sql";
  /** Serializes concurrent nodes: "IF NOT EXISTS" alone can still race in PostgreSQL's catalog. */
  private static final long ADVISORY_LOCK_KEY = 0x7472_6f75_7065L; // "troupe"

  private Schema() {}

  public static void create(DatabaseTarget target) throws SQLException, IOException {
    List<String> statements = statements();
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password())) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(" + ADVISORY_LOCK_KEY + ")");
        for (String sql : statements) {
          s.execute(sql);
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    }
  }

  static List<String> statements() throws IOException {
    String script;
    try (InputStream in = Schema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException(RESOURCE + " is missing from the classpath");
      }
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
}
