package io.troupe.runtime.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server started by the node itself, so that one command runs everything.
 * Its data lives under the given directory and survives restarts.
 *
 * <p>The library starts PostgreSQL with {@code fsync} and {@code synchronous_commit} off, which
 * suits throw-away test databases but would lose acknowledged writes on a crash; people run
 * this for real, so both are turned back on here.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
  public static final String DATABASE = "troupe";
  private static final Duration ORPHAN_STOP_WAIT = Duration.ofSeconds(30);

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts PostgreSQL on {@code dataDir} (created if absent) and makes sure the {@value
   * #DATABASE} database exists.
   *
   * @param port the port to listen on (loopback only); 0 picks a free one
   */
  public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
    Path pgData = dataDir.resolve("postgres").toAbsolutePath();
    Files.createDirectories(pgData);
    stopOrphanedServer(pgData);
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("full_page_writes", "on")
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setPGStartupWait(Duration.ofSeconds(60));
    if (port > 0) {
      builder.setPort(port);
    }
    EmbeddedPostgres postgres = builder.start();
    EmbeddedDatabase db = new EmbeddedDatabase(postgres);
    db.createDatabaseIfAbsent(DATABASE);
    log.info("Embedded PostgreSQL on 127.0.0.1:{}, data in {}", postgres.getPort(), pgData);
    return db;
  }

  public int port() {
    return postgres.getPort();
  }

  /** The target for a database on this server (created by {@link #createDatabaseIfAbsent}). */
  public DatabaseTarget target(String database) {
    return new DatabaseTarget("jdbc:postgresql://127.0.0.1:" + port() + "/" + database, "postgres", "");
  }

  public DatabaseTarget target() {
    return target(DATABASE);
  }

  public void createDatabaseIfAbsent(String database) throws IOException {
    if (!database.matches("[a-z_][a-z0-9_]{0,62}")) {
      throw new IllegalArgumentException("not a plain database name: " + database);
    }
    try (Connection c = postgres.getPostgresDatabase().getConnection();
         PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, database);
      try (ResultSet rs = exists.executeQuery()) {
        if (rs.next()) {
          return;
        }
      }
      try (Statement create = c.createStatement()) {
        create.execute("CREATE DATABASE " + database);
      }
    } catch (SQLException e) {
      throw new IOException("could not create database " + database, e);
    }
  }

  /** Stops the server (a fast shutdown: open transactions roll back, committed data is kept). */
  @Override
  public void close() throws IOException {
    postgres.close();
  }

  /**
   * A node killed with SIGKILL leaves its PostgreSQL running, holding the data directory; the
   * next start would fail on it. Such a server has lost its only client, so it is stopped
   * (SIGTERM, PostgreSQL's "smart" shutdown, which completes once no client is connected).
   */
  private static void stopOrphanedServer(Path pgData) throws IOException {
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    if (lines.isEmpty()) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(lines.get(0).trim());
    } catch (NumberFormatException e) {
      return;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid)
        .filter(p -> p.info().command().map(cmd -> cmd.endsWith("postgres")).orElse(false));
    if (process.isEmpty()) {
      return; // stale pid file: PostgreSQL itself recovers from that
    }
    log.warn("A PostgreSQL server (pid {}) left by an earlier run still holds {}; stopping it", pid, pgData);
    process.get().destroy();
    try {
      process.get().onExit().get(ORPHAN_STOP_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IOException("PostgreSQL pid " + pid + " did not stop within " + ORPHAN_STOP_WAIT
          + "; stop it by hand or remove " + pgData, e);
    }
  }
}
