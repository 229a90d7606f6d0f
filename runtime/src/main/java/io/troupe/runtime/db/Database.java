package io.troupe.runtime.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A small connection pool for Troupe's own SQL (health checks, topic listing), separate from the
 * journal's pool so those queries never queue behind journal writes. JDBC blocks, so every query
 * runs on the given executor (the node passes Pekko's blocking-IO dispatcher), never on an actor
 * or stream thread.
 */
public final class Database implements AutoCloseable {

  /** A unit of JDBC work. */
  @FunctionalInterface
  public interface Work<T> {
    T apply(Connection connection) throws SQLException;
  }

  private final HikariDataSource pool;
  private final Executor executor;

  public Database(DatabaseTarget target, int poolSize, Executor executor) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(target.jdbcUrl());
    config.setUsername(target.user());
    config.setPassword(target.password());
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(1);
    config.setPoolName("troupe-queries");
    // A health check must answer promptly when the database is gone, not after Hikari's 30 s.
    config.setConnectionTimeout(2_000);
    config.setValidationTimeout(1_000);
    // No query of Troupe's own (analytics included) may hold a connection for long: the pool
    // also answers the readiness probe.
    config.setConnectionInitSql("SET statement_timeout = '10s'");
    // Start even if the database is briefly unavailable; queries fail until it is back.
    config.setInitializationFailTimeout(-1);
    this.pool = new HikariDataSource(config);
    this.executor = executor;
  }

  public <T> CompletionStage<T> query(Work<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection c = pool.getConnection()) {
        return work.apply(c);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, executor);
  }

  /** Round-trip time of a trivial query; fails when the database does not answer. */
  public CompletionStage<Duration> ping() {
    return query(c -> {
      long start = System.nanoTime();
      try (Statement s = c.createStatement()) {
        s.setQueryTimeout(2);
        s.execute("SELECT 1");
      }
      return Duration.ofNanos(System.nanoTime() - start);
    });
  }

  @Override
  public void close() {
    pool.close();
  }
}
