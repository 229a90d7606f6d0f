package io.troupe.runtime.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The node's own PostgreSQL: durable settings, and data that outlives the server. */
class EmbeddedDatabaseTest {

  @Test
  void runsWithFsyncAndSynchronousCommitAndKeepsDataAcrossRestarts() throws Exception {
    Path dir = Files.createTempDirectory("troupe-embedded-test");
    try (EmbeddedDatabase db = EmbeddedDatabase.start(dir, 0)) {
      assertEquals("on", show(db.target(), "fsync"));
      assertEquals("on", show(db.target(), "synchronous_commit"));
      assertEquals("on", show(db.target(), "full_page_writes"));
      exec(db.target(), "CREATE TABLE kept (v text)");
      exec(db.target(), "INSERT INTO kept VALUES ('survives')");
    }
    try (EmbeddedDatabase again = EmbeddedDatabase.start(dir, 0)) {
      assertEquals("survives", query(again.target(), "SELECT v FROM kept"));
    }
  }

  private static String show(DatabaseTarget t, String setting) throws Exception {
    return query(t, "SHOW " + setting);
  }

  private static String query(DatabaseTarget t, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(t.jdbcUrl(), t.user(), t.password());
         Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void exec(DatabaseTarget t, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(t.jdbcUrl(), t.user(), t.password()); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
