package io.troupe.runtime.governance.security;

import io.troupe.runtime.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit entries to the {@code audit_log} table in batches, behind the requests they
 * describe: a request never waits for its audit line. The queue is bounded; when the database is
 * down long enough to fill it, further entries are dropped and counted ({@code onDropped}), so an
 * outage cannot exhaust the node's memory. {@link #close} on shutdown writes what is queued.
 */
public final class AuditLog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
  private static final String INSERT = "INSERT INTO audit_log (at, user_id, key_id, action, permission, resource,"
      + " outcome, status, remote_address, node, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private final Database database;
  private final ArrayBlockingQueue<AuditEntry> queue;
  private final int batchSize;
  private final Duration flushInterval;
  private final LongConsumer onDropped;
  private final Thread writer;
  private volatile boolean closed;

  public AuditLog(Database database, int capacity, int batchSize, Duration flushInterval, LongConsumer onDropped) {
    this.database = database;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.batchSize = batchSize;
    this.flushInterval = flushInterval;
    this.onDropped = onDropped;
    this.writer = new Thread(this::run, "troupe-audit-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /** Queues an entry; never blocks. */
  public void record(AuditEntry entry) {
    if (!queue.offer(entry)) {
      onDropped.accept(1);
    }
  }

  private void run() {
    List<AuditEntry> batch = new ArrayList<>(batchSize);
    while (!closed || !queue.isEmpty()) {
      try {
        AuditEntry first = queue.poll(flushInterval.toMillis(), TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, batchSize - 1);
        write(batch);
        batch.clear();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Writes a batch; on failure waits and tries again a bounded number of times, then drops it. */
  private void write(List<AuditEntry> batch) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        database.query(c -> insert(c, batch)).toCompletableFuture().get(15, TimeUnit.SECONDS);
        return;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        if (attempt >= 5 || closed) {
          log.warn("Dropped {} audit entries after {} failed writes: {}", batch.size(), attempt, e.getMessage());
          onDropped.accept(batch.size());
          return;
        }
        Thread.sleep(500L * attempt);
      }
    }
  }

  private static int insert(Connection c, List<AuditEntry> batch) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(INSERT)) {
      for (AuditEntry e : batch) {
        s.setTimestamp(1, Timestamp.from(e.at()));
        s.setString(2, e.userId());
        s.setString(3, e.keyId());
        s.setString(4, e.action());
        s.setString(5, e.permission());
        s.setString(6, e.resource());
        s.setString(7, e.outcome());
        s.setInt(8, e.status());
        s.setString(9, e.remoteAddress());
        s.setString(10, e.node());
        s.setString(11, e.detail());
        s.addBatch();
      }
      s.executeBatch();
      return batch.size();
    }
  }

  /**
   * Entries newest first, filtered by user, by action or permission, and by time, after the
   * entry {@code after} names (null: from the newest).
   */
  public CompletionStage<List<AuditEntry>> query(String userId, String action, Instant since,
                                                 io.troupe.runtime.readside.Cursor after, int limit) {
    return database.query(c -> {
      StringBuilder sql = new StringBuilder("SELECT id, at, user_id, key_id, action, permission, resource, outcome,"
          + " status, remote_address, node, detail FROM audit_log WHERE at >= ?");
      List<String> args = new ArrayList<>();
      if (userId != null) {
        sql.append(" AND user_id = ?");
        args.add(userId);
      }
      if (action != null) {
        sql.append(" AND (action = ? OR permission = ? OR outcome = ?)");
        args.add(action);
        args.add(action);
        args.add(action);
      }
      if (after != null) {
        sql.append(" AND (at, id) < (?, ?)");
      }
      sql.append(" ORDER BY at DESC, id DESC LIMIT ?");
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        s.setTimestamp(1, Timestamp.from(since));
        int i = 2;
        for (String a : args) {
          s.setString(i++, a);
        }
        if (after != null) {
          s.setObject(i++, io.troupe.runtime.readside.Sql.time(after.at()));
          s.setLong(i++, Long.parseLong(after.id()));
        }
        s.setInt(i, limit);
        List<AuditEntry> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(new AuditEntry(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getInt(9), rs.getString(10),
                rs.getString(11), rs.getString(12)));
          }
        }
        return out;
      }
    });
  }

  /** Counts by outcome since a time (for the security stats). */
  public CompletionStage<java.util.Map<String, Long>> countsByOutcome(Instant since) {
    return database.query(c -> {
      try (PreparedStatement s = c.prepareStatement(
          "SELECT outcome, count(*) FROM audit_log WHERE at >= ? GROUP BY outcome ORDER BY outcome")) {
        s.setTimestamp(1, Timestamp.from(since));
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), rs.getLong(2));
          }
        }
        return out;
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
