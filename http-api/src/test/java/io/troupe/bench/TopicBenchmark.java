package io.troupe.bench;

import com.typesafe.config.Config;
import io.troupe.http.RunningNode;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.EmbeddedDatabase;
import io.troupe.runtime.db.Schema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Broker throughput and latency of one in-process node against a real PostgreSQL, next to the
 * raw insert limit of that same PostgreSQL. Not a test: run it with {@code bench/topic-benchmark.sh}
 * (see BENCHMARKS.md). Every phase is bounded in time; the program exits by itself.
 *
 * <p>System properties: {@code bench.seconds} (measured window of each throughput phase, 20),
 * {@code bench.warmup} (10), {@code bench.topics} (500), {@code bench.inflight} (1000),
 * {@code bench.publishers} (4), {@code bench.raw.connections} (4), {@code bench.raw.batch} (400),
 * {@code bench.http.rate} (200), {@code bench.http.seconds} (20), {@code bench.http.inflight} (200).
 * Database: an embedded PostgreSQL 14 with fsync and synchronous_commit on, or a fresh database
 * on the server in {@code TROUPE_TEST_DB_URL}.
 */
public final class TopicBenchmark {

  private TopicBenchmark() {}

  public static void main(String[] args) {
    int seconds = intProp("bench.seconds", 20);
    int warmup = intProp("bench.warmup", 10);
    int httpSeconds = intProp("bench.http.seconds", 20);
    // The program ends by itself whatever happens: a watchdog well past the planned duration.
    long limitSeconds = 3L * warmup + 2L * seconds + httpSeconds + 300;
    BenchMain.run(Duration.ofSeconds(limitSeconds),
        () -> run(Duration.ofSeconds(seconds), Duration.ofSeconds(warmup), Duration.ofSeconds(httpSeconds)));
  }

  private static void run(Duration measure, Duration warmup, Duration httpMeasure) throws Exception {
    int topics = intProp("bench.topics", 500);
    int inflight = intProp("bench.inflight", 1000);
    int publishers = intProp("bench.publishers", 4);
    int rawConnections = intProp("bench.raw.connections", 4);
    int rawBatch = intProp("bench.raw.batch", 400);
    int httpRate = intProp("bench.http.rate", 200);
    int httpInflight = intProp("bench.http.inflight", 200);
    int cores = Runtime.getRuntime().availableProcessors();

    Path pgDir = null;
    EmbeddedDatabase embedded = null;
    DatabaseTarget target;
    String external = System.getenv("TROUPE_TEST_DB_URL");
    if (external != null && !external.isBlank()) {
      target = TestDatabase.fresh();
    } else {
      pgDir = Files.createTempDirectory("troupe-bench-pg");
      embedded = EmbeddedDatabase.start(pgDir, 0);
      target = embedded.target();
      Schema.create(target);
    }
    Probe probe = new Probe(target);
    try {
      System.out.printf("machine: %d cores, max heap %d MiB, java %s (%s); load average at start: %s%n",
          cores, Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.version"),
          System.getProperty("java.vm.name"), Probe.loadAverage());
      System.out.println("postgres: " + describeServer(target));

      try (RunningNode node = RunningNode.startAlone(target)) {
        Config config = node.node.system().settings().config();
        System.out.printf("journal: batchSize=%d parallelism=%d bufferSize=%d, pool numThreads=%d maxConnections=%d%n",
            config.getInt("jdbc-journal.batchSize"), config.getInt("jdbc-journal.parallelism"),
            config.getInt("jdbc-journal.bufferSize"),
            config.getInt("pekko-persistence-jdbc.shared-databases.slick.db.numThreads"),
            config.getInt("pekko-persistence-jdbc.shared-databases.slick.db.maxConnections"));

        // 1. Topic messages through sharding, as fast as the node takes them.
        System.out.printf("%n[1/3] sharded publish: %d topics, %d asks in flight, %d publisher threads, "
            + "%d s warm-up + %d s measured%n", topics, inflight, publishers, warmup.toSeconds(), measure.toSeconds());
        Probe.checkpoint(target);
        Probe.Pending shardedProbe = probe.schedule(warmup, measure);
        ShardedPublishBenchmark.Result sharded = ShardedPublishBenchmark.run(node.node.system(), topics, inflight,
            publishers, warmup, measure, Duration.ofSeconds(10));
        Probe.Window shardedWindow = shardedProbe.await();
        System.out.printf("  acknowledged %d messages in %.1f s = %.0f msg/s (failed asks: %d%s)%n",
            sharded.acked(), sharded.seconds(), sharded.rate(), sharded.failed(),
            sharded.firstFailure() == null ? "" : ", first: " + sharded.firstFailure());
        System.out.println("  " + shardedWindow.describe(cores));

        JournalRows rows = journalRows(target);
        System.out.printf("  journal: %d rows for bench topics, event_payload %d bytes on average (ser id %d, %s)%n",
            rows.count(), rows.payloadBytes(), rows.serializerId(), rows.manifest());

        // 2. The raw limit of the same PostgreSQL for rows of the same shape and size.
        System.out.printf("%n[2/3] raw JDBC inserts into %s: %d connections x %d-row batches, %d-byte payloads, "
                + "reWriteBatchedInserts=true, %d s warm-up + %d s measured%n", RawJdbcInsertBenchmark.TABLE,
            rawConnections, rawBatch, rows.payloadBytes(), warmup.toSeconds(), measure.toSeconds());
        Probe.checkpoint(target);
        Probe.Pending rawProbe = probe.schedule(warmup, measure);
        RawJdbcInsertBenchmark.Result raw = RawJdbcInsertBenchmark.run(target, rows.payloadBytes(), rows.manifest(),
            rows.serializerId(), Math.max(1, topics / rawConnections), rawConnections, rawBatch, warmup, measure);
        Probe.Window rawWindow = rawProbe.await();
        RawJdbcInsertBenchmark.drop(target);
        System.out.printf("  inserted %d rows in %.1f s = %.0f rows/s (%d batches)%n",
            raw.rows(), raw.seconds(), raw.rate(), raw.batches());
        System.out.println("  " + rawWindow.describe(cores));

        // 3. Publish latency over HTTP at a fixed, moderate rate.
        System.out.printf("%n[3/3] HTTP publish latency: %d req/s for %d s (after %d s warm-up), at most %d in flight%n",
            httpRate, httpMeasure.toSeconds(), warmup.toSeconds(), httpInflight);
        HttpLatencyBenchmark.Result http = HttpLatencyBenchmark.run(node.ports.http(), httpRate, topics,
            httpInflight, warmup, httpMeasure);
        System.out.printf("  %d ok, %d errors, %d not sent (in-flight bound)%s%n", http.sortedMicros().length,
            http.errors(), http.skipped(), http.firstError() == null ? "" : ", first error: " + http.firstError());

        System.out.println();
        System.out.println("=== results ===");
        System.out.printf("sharded publish : %,10.0f msg/s%n", sharded.rate());
        System.out.printf("raw JDBC insert : %,10.0f rows/s%n", raw.rate());
        System.out.printf("ratio           : %10.3f (target >= 0.25)%n", sharded.rate() / raw.rate());
        System.out.printf("HTTP publish at %d req/s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, "
                + "errors %d, not sent %d%n", httpRate, http.percentile(50) / 1e3, http.percentile(90) / 1e3,
            http.percentile(99) / 1e3, http.percentile(100) / 1e3, http.errors(), http.skipped());
        System.out.println("load average at end: " + Probe.loadAverage());
      }
    } finally {
      probe.close();
      if (embedded != null) {
        embedded.close();
        deleteTree(pgDir);
      }
    }
  }

  record JournalRows(long count, int payloadBytes, int serializerId, String manifest) {}

  private static JournalRows journalRows(DatabaseTarget target) throws SQLException {
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*), round(avg(octet_length(event_payload))), "
             + "min(event_ser_id), min(event_ser_manifest) FROM event_journal WHERE persistence_id LIKE 'Topic|"
             + ShardedPublishBenchmark.TOPIC_PREFIX + "%'")) {
      rs.next();
      if (rs.getLong(1) == 0) {
        throw new IllegalStateException("no message was journaled; cannot size the raw rows");
      }
      return new JournalRows(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getString(4));
    }
  }

  private static String describeServer(DatabaseTarget target) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement s = c.createStatement()) {
      for (String setting : new String[] {"server_version", "fsync", "synchronous_commit", "full_page_writes",
          "wal_sync_method", "shared_buffers", "max_wal_size"}) {
        try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
          rs.next();
          out.append(setting).append('=').append(rs.getString(1)).append(' ');
        }
      }
    }
    return out.toString().trim();
  }

  private static int intProp(String name, int fallback) {
    return Integer.getInteger(name, fallback);
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
