package io.troupe.bench;

import io.troupe.runtime.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The database's limit for a read the edge serves: {@code connections} threads, one JDBC
 * connection each (as many as the node's pool for that read), running the same SELECT back to
 * back and reading every column of every row, nothing else. What the edge adds on top (routing,
 * authentication, deserialization, JSON) is the gap between this rate and the HTTP rate.
 */
final class RawJdbcReadBenchmark {

  /** Binds the n-th query's parameters. */
  interface Binder {
    void bind(PreparedStatement statement, long n) throws SQLException;
  }

  record Result(long queries, long rows, double seconds) {
    double rate() {
      return queries / seconds;
    }
  }

  private RawJdbcReadBenchmark() {}

  static Result run(DatabaseTarget target, int connections, String sql, Binder binder, Duration warmup,
                    Duration measure) throws Exception {
    AtomicLong next = new AtomicLong();
    LongAdder queries = new LongAdder();
    LongAdder rows = new LongAdder();
    AtomicReference<Exception> failure = new AtomicReference<>();
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long measureTo = measureFrom + measure.toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      Thread t = new Thread(() -> {
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
             PreparedStatement s = c.prepareStatement(sql)) {
          while (System.nanoTime() < measureTo) {
            binder.bind(s, next.getAndIncrement());
            long read = 0;
            try (ResultSet rs = s.executeQuery()) {
              int columns = rs.getMetaData().getColumnCount();
              while (rs.next()) {
                for (int col = 1; col <= columns; col++) {
                  rs.getObject(col);
                }
                read++;
              }
            }
            long done = System.nanoTime();
            if (done >= measureFrom && done < measureTo) {
              queries.increment();
              rows.add(read);
            }
          }
        } catch (Exception e) {
          failure.compareAndSet(null, e);
        }
      }, "bench-raw-read-" + i);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return new Result(queries.sum(), rows.sum(), measure.toNanos() / 1e9);
  }
}
