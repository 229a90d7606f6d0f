package io.troupe.bench;

import com.typesafe.config.Config;
import io.troupe.http.RunningNode;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.JournalIds;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Broker throughput and latency of one in-process node against a real PostgreSQL, next to the
 * raw insert limit of that same PostgreSQL. Not a test: run it with {@code bench/topic-benchmark.sh}
 * (see BENCHMARKS.md). Every phase is bounded in time; the program exits by itself.
 *
 * <p>System properties: {@code bench.seconds} (measured window of each throughput phase, 20),
 * {@code bench.warmup} (10), {@code bench.topics} (500), {@code bench.inflight} (1000),
 * {@code bench.publishers} (4), {@code bench.raw.connections} (4), {@code bench.raw.batch} (400),
 * {@code bench.http.rate} (1000), {@code bench.http.connections} ("64,256"), {@code bench.read.concurrency} (64), {@code bench.http.seconds} (20), {@code bench.http.inflight} (200).
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
    // Eight windows with their warm-ups (sharded, raw, two HTTP publish, four reads) and the latency run.
    long limitSeconds = 8L * (warmup + seconds) + warmup + httpSeconds + 300;
    BenchMain.run(Duration.ofSeconds(limitSeconds),
        () -> run(Duration.ofSeconds(seconds), Duration.ofSeconds(warmup), Duration.ofSeconds(httpSeconds)));
  }

  private static void run(Duration measure, Duration warmup, Duration httpMeasure) throws Exception {
    int topics = intProp("bench.topics", 500);
    int inflight = intProp("bench.inflight", 1000);
    int publishers = intProp("bench.publishers", 4);
    int rawConnections = intProp("bench.raw.connections", 4);
    int rawBatch = intProp("bench.raw.batch", 400);
    int httpRate = intProp("bench.http.rate", 1000);
    int[] httpConnections = java.util.Arrays.stream(System.getProperty("bench.http.connections", "64,256").split(","))
        .map(String::trim).filter(c -> !c.isEmpty()).mapToInt(Integer::parseInt).toArray();
    int readConcurrency = intProp("bench.read.concurrency", 64);
    int httpInflight = intProp("bench.http.inflight", 200);
    int cores = Runtime.getRuntime().availableProcessors();

    BenchDatabase database = BenchDatabase.open();
    DatabaseTarget target = database.target();
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
        System.out.printf("%n[1/5] sharded publish: %d topics, %d asks in flight, %d publisher threads, "
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
        System.out.printf("%n[2/5] raw JDBC inserts into %s: %d connections x %d-row batches, %d-byte payloads, "
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

        // 3. Publish over HTTP as fast as the edge takes it, at each connection count.
        String publishBody = "{\"sender\":\"bench\",\"messageType\":\"observation\",\"content\":"
            + ShardedPublishBenchmark.content(0) + "}";
        int port = node.ports.http();
        java.util.Map<Integer, HttpClosedLoop.Result> httpPublish = new java.util.LinkedHashMap<>();
        for (int connections : httpConnections) {
          System.out.printf("%n[3/5] HTTP publish throughput: %d connections, each sending its next POST when the last "
              + "is answered, %d s warm-up + %d s measured%n", connections, warmup.toSeconds(), measure.toSeconds());
          Probe.Pending publishProbe = probe.schedule(warmup, measure);
          HttpClosedLoop.Result result = HttpClosedLoop.run(port, connections,
              n -> post(port, "/api/v1/topics/http-bench-" + (n % topics) + "/messages", publishBody), 201,
              warmup, measure);
          System.out.println("  " + result.describe());
          System.out.println("  " + publishProbe.await().describe(cores));
          httpPublish.put(connections, result);
        }

        // 4. Publish latency over HTTP at a fixed rate.
        System.out.printf("%n[4/5] HTTP publish latency: %d req/s for %d s (after %d s warm-up), at most %d in flight%n",
            httpRate, httpMeasure.toSeconds(), warmup.toSeconds(), httpInflight);
        HttpLatencyBenchmark.Result http = HttpLatencyBenchmark.run(port, httpRate, topics,
            httpInflight, warmup, httpMeasure);
        System.out.printf("  %d ok, %d errors, %d not sent (in-flight bound)%s%n", http.sortedMicros().length,
            http.errors(), http.skipped(), http.firstError() == null ? "" : ", first error: " + http.firstError());

        // 5. Reads: each over HTTP, then the same SELECT raw with as many connections as the node's pool for it.
        int queryPool = config.getInt("troupe.db.query-pool-size");
        System.out.printf("%n[5/5] reads: replay of 10 messages and the topic list, over HTTP (%d connections) and raw "
            + "(%d connections, the node's query pool, which serves both), %d s warm-up + %d s measured each%n",
            readConcurrency, queryPool, warmup.toSeconds(), measure.toSeconds());
        long perTopic = Math.max(1, rows.count() / topics);
        long pages = Math.max(1, perTopic / 10);
        HttpClosedLoop.Result replayHttp = HttpClosedLoop.run(port, readConcurrency,
            n -> get(port, "/api/v1/topics/" + ShardedPublishBenchmark.TOPIC_PREFIX + (n % topics) + "/messages?from="
                + (1 + 10 * ((n / topics) % pages)) + "&limit=10"), 200, warmup, measure);
        System.out.println("  replay over HTTP: " + replayHttp.describe());
        RawJdbcReadBenchmark.Result replayRaw = RawJdbcReadBenchmark.run(target, queryPool, REPLAY_SQL, (s, n) -> {
          long from = 1 + 10 * ((n / topics) % pages);
          s.setString(1, "Topic|" + ShardedPublishBenchmark.TOPIC_PREFIX + (n % topics));
          s.setLong(2, from);
          s.setLong(3, from + 9);
          s.setLong(4, 10);
        }, warmup, measure);
        System.out.printf("  replay raw: %,d selects in %.1f s = %,.0f/s (%.1f rows each)%n", replayRaw.queries(),
            replayRaw.seconds(), replayRaw.rate(), (double) replayRaw.rows() / Math.max(1, replayRaw.queries()));
        HttpClosedLoop.Result listHttp = HttpClosedLoop.run(port, readConcurrency,
            n -> get(port, "/api/v1/topics?limit=" + TOPIC_PAGE), 200, warmup, measure);
        System.out.println("  topic list over HTTP: " + listHttp.describe());
        String like = "Topic|%";
        RawJdbcReadBenchmark.Result listRaw = RawJdbcReadBenchmark.run(target, queryPool, JournalIds.ASCENDING, (s, n) -> {
          s.setString(1, "Topic|");
          s.setString(2, like);
          s.setString(3, like);
          s.setInt(4, TOPIC_PAGE + 1);
        }, warmup, measure);
        System.out.printf("  topic list raw: %,d selects in %.1f s = %,.0f/s (%.1f rows each)%n", listRaw.queries(),
            listRaw.seconds(), listRaw.rate(), (double) listRaw.rows() / Math.max(1, listRaw.queries()));

        System.out.println();
        System.out.println("=== results ===");
        System.out.printf("sharded publish : %,10.0f msg/s%n", sharded.rate());
        System.out.printf("raw JDBC insert : %,10.0f rows/s%n", raw.rate());
        System.out.printf("ratio           : %10.3f (target >= 0.25)%n", sharded.rate() / raw.rate());
        httpPublish.forEach((connections, r) -> System.out.printf(
            "HTTP publish, %3d connections: %,10.0f req/s = %.2f x sharded publish (target >= 0.5), %d failed, p99 %.1f ms%n",
            connections, r.rate(), r.rate() / sharded.rate(), r.failed(), r.latencies().percentileMicros(99) / 1e3));
        System.out.printf("HTTP publish at %d req/s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, "
                + "errors %d, not sent %d%n", httpRate, http.percentile(50) / 1e3, http.percentile(90) / 1e3,
            http.percentile(99) / 1e3, http.percentile(100) / 1e3, http.errors(), http.skipped());
        System.out.printf("replay of 10     : %,10.0f req/s over HTTP = %.2f x raw select (%,.0f/s) (target >= 0.5), %d failed%n",
            replayHttp.rate(), replayHttp.rate() / replayRaw.rate(), replayRaw.rate(), replayHttp.failed());
        System.out.printf("topic list (%d)  : %,10.0f req/s over HTTP = %.2f x raw select (%,.0f/s) (target >= 0.5), %d failed%n",
            TOPIC_PAGE, listHttp.rate(), listHttp.rate() / listRaw.rate(), listRaw.rate(), listHttp.failed());
        System.out.println("load average at end: " + Probe.loadAverage());
      }
    } finally {
      probe.close();
      database.close();
    }
  }

  /** The read journal's by-persistence-id query (pekko-persistence-jdbc 1.1), every column: the database's cost of a page. */
  private static final String REPLAY_SQL = "SELECT ordering, deleted, persistence_id, sequence_number, writer,"
      + " write_timestamp, adapter_manifest, event_payload, event_ser_id, event_ser_manifest, meta_payload, meta_ser_id,"
      + " meta_ser_manifest FROM event_journal WHERE persistence_id = ? AND deleted = false AND sequence_number >= ?"
      + " AND sequence_number <= ? ORDER BY sequence_number LIMIT ?";

  /** Topics per page of the list (the API's default page). */
  private static final int TOPIC_PAGE = 100;

  private static byte[] post(int port, String path, String body) {
    return NioHttpLoad.request("POST", path, port, io.troupe.runtime.TestNodes.ADMIN_TOKEN, body);
  }

  private static byte[] get(int port, String path) {
    return NioHttpLoad.request("GET", path, port, io.troupe.runtime.TestNodes.ADMIN_TOKEN, null);
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

}
