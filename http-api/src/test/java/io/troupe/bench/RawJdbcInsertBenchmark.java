package io.troupe.bench;

import io.troupe.runtime.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The raw limit: batched JDBC inserts of journal-shaped rows (the columns, key and indexes of
 * {@code event_journal}, payloads of the size of a real event) into a table of their own on the
 * same PostgreSQL, one transaction per batch, as the journal writes them.
 */
final class RawJdbcInsertBenchmark {

  record Result(long rows, double seconds, long batches) {
    double rate() {
      return rows / seconds;
    }
  }

  static final String TABLE = "bench_journal";

  private static final String CREATE = """
      CREATE TABLE bench_journal (
        ordering BIGSERIAL,
        persistence_id VARCHAR(255) NOT NULL,
        sequence_number BIGINT NOT NULL,
        deleted BOOLEAN DEFAULT FALSE NOT NULL,
        writer VARCHAR(255) NOT NULL,
        write_timestamp BIGINT,
        adapter_manifest VARCHAR(255),
        event_ser_id INTEGER NOT NULL,
        event_ser_manifest VARCHAR(255) NOT NULL,
        event_payload BYTEA NOT NULL,
        meta_ser_id INTEGER,
        meta_ser_manifest VARCHAR(255),
        meta_payload BYTEA,
        PRIMARY KEY (persistence_id, sequence_number)
      )""";

  /** The columns Pekko Persistence JDBC's journal inserts (ordering comes from the sequence). */
  private static final String INSERT = "INSERT INTO bench_journal (deleted, persistence_id, sequence_number, "
      + "writer, write_timestamp, adapter_manifest, event_payload, event_ser_id, event_ser_manifest, "
      + "meta_payload, meta_ser_id, meta_ser_manifest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";

  private RawJdbcInsertBenchmark() {}

  static String withBatchRewrite(String url) {
    return url + (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true";
  }

  static Result run(DatabaseTarget target, int payloadBytes, String manifest, int serializerId, int idsPerConnection,
                    int connections, int batchSize, Duration warmup, Duration measure) throws Exception {
    try (Connection c = connect(target); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + TABLE);
      s.execute(CREATE);
      s.execute("CREATE UNIQUE INDEX bench_journal_ordering_idx ON bench_journal (ordering)");
    }
    byte[] payload = new byte[payloadBytes];
    new Random(42).nextBytes(payload);
    AtomicLong rows = new AtomicLong();
    AtomicLong batches = new AtomicLong();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long measureTo = measureFrom + measure.toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < connections; t++) {
      int thread = t;
      Thread worker = new Thread(() -> {
        String writer = UUID.randomUUID().toString();
        try (Connection c = connect(target); PreparedStatement insert = c.prepareStatement(INSERT)) {
          c.setAutoCommit(false);
          long i = 0;
          while (System.nanoTime() < measureTo) {
            for (int b = 0; b < batchSize; b++, i++) {
              insert.setBoolean(1, false);
              insert.setString(2, "Topic|raw-" + thread + "-" + (i % idsPerConnection));
              insert.setLong(3, i / idsPerConnection + 1);
              insert.setString(4, writer);
              insert.setLong(5, System.currentTimeMillis());
              insert.setString(6, "");
              insert.setBytes(7, payload);
              insert.setInt(8, serializerId);
              insert.setString(9, manifest);
              insert.setNull(10, Types.BINARY);
              insert.setNull(11, Types.INTEGER);
              insert.setNull(12, Types.VARCHAR);
              insert.addBatch();
            }
            insert.executeBatch();
            c.commit();
            long now = System.nanoTime();
            if (now >= measureFrom && now < measureTo) {
              rows.addAndGet(batchSize);
              batches.incrementAndGet();
            }
          }
        } catch (Exception e) {
          failure.compareAndSet(null, e);
        }
      }, "bench-raw-" + t);
      worker.setDaemon(true);
      worker.start();
      threads.add(worker);
    }
    for (Thread t : threads) {
      t.join(warmup.plus(measure).plusSeconds(60).toMillis());
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return new Result(rows.get(), measure.toNanos() / 1e9, batches.get());
  }

  static void drop(DatabaseTarget target) throws SQLException {
    try (Connection c = connect(target); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + TABLE);
    }
  }

  private static Connection connect(DatabaseTarget target) throws SQLException {
    return DriverManager.getConnection(withBatchRewrite(target.jdbcUrl()), target.user(), target.password());
  }
}
