package io.troupe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.node.TroupeNode;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Runtime overhead per session step: one in-process node (embedded PostgreSQL, fsync on) runs
 * sessions of a scripted agent whose script is one call of a no-op tool, then a final text, so
 * each session journals 6 events in 5 persists. A bounded number of sessions is in flight; each
 * is followed through its live feed (see {@link SessionDriver}). Then the same sessions over the
 * node's HTTP edge with {@code bench.http.clients} clients each (default 200 and 1,000; see
 * {@link HttpSessionDriver}), as ratios of the in-process rate. Then the raw journal-shaped JDBC
 * insert rate of the same PostgreSQL ({@link RawJdbcInsertBenchmark}), for the ratio. Not a test:
 * run it with {@code bench/session-benchmark.sh} (see BENCHMARKS.md); it exits by itself.
 *
 * <p>System properties: {@code bench.seconds} (measured window, 20), {@code bench.warmup} (10),
 * {@code bench.inflight} (sessions in flight, 200), {@code bench.http.clients} ("200,1000"),
 * {@code bench.raw.connections} (4),
 * {@code bench.raw.batch} (400).
 */
public final class SessionBenchmark {

  static final String AGENT = "bench";
  static final int EVENTS_PER_SESSION = 6;

  private SessionBenchmark() {}

  public static void main(String[] args) {
    int seconds = Integer.getInteger("bench.seconds", 20);
    int warmup = Integer.getInteger("bench.warmup", 10);
    // Four phases (in process, two over HTTP, raw JDBC), each with a bounded drain.
    long limitSeconds = 6L * (warmup + seconds) + 300;
    BenchMain.run(Duration.ofSeconds(limitSeconds),
        () -> run(Duration.ofSeconds(seconds), Duration.ofSeconds(warmup)));
  }

  /** The agent: reply 1 calls noop, reply 2 is the final text. */
  static AgentDefinition agent() {
    return new AgentDefinition("benchmark", "You are a benchmark.", "scripted", "script", 0.0,
        AgentDefinition.DEFAULT_MAX_ITERATIONS, AgentDefinition.DEFAULT_TOOL_TIMEOUT_SECONDS, List.of("noop"), List.of(),
        List.of(new AgentDefinition.ScriptedReply(null, List.of(new AgentDefinition.ScriptedToolCall("noop", "{}"))),
            new AgentDefinition.ScriptedReply("done", List.of())));
  }

  /** Returns {} at once. */
  static final class NoopTool implements Tool {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override public String name() {
      return "noop";
    }

    @Override public String description() {
      return "Does nothing.";
    }

    @Override public JsonNode parameters() {
      return JSON.createObjectNode().put("type", "object");
    }

    @Override public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
      return CompletableFuture.completedFuture(JSON.createObjectNode());
    }
  }

  /** One HTTP phase's figures and the CPU of its window. */
  private record HttpPhase(int clients, HttpSessionDriver.Result result, Probe.Window window) {}

  static final String HTTP_AGENT = "bench-http";

  /** The node's built-in and domain tools, and {@code noop}. */
  private static List<java.util.function.Function<org.apache.pekko.actor.typed.ActorSystem<?>, Tool>> tools() {
    List<java.util.function.Function<org.apache.pekko.actor.typed.ActorSystem<?>, Tool>> tools =
        new java.util.ArrayList<>(io.troupe.agents.DomainEntities.TOOLS);
    tools.add(system -> new NoopTool());
    return tools;
  }

  /** The same agent as {@link #agent()}, defined over the API by the admin. */
  private static void defineOverHttp(int port) throws Exception {
    String body = "{\"role\":\"benchmark\",\"systemPrompt\":\"You are a benchmark.\",\"provider\":\"scripted\","
        + "\"tools\":[\"noop\"],\"script\":[{\"toolCalls\":[{\"name\":\"noop\",\"arguments\":{}}]},"
        + "{\"text\":\"done\"}]}";
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/api/v1/agents/" + HTTP_AGENT))
            .header("Authorization", "Bearer " + TestNodes.ADMIN_TOKEN).header("Content-Type", "application/json")
            .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException("defining " + HTTP_AGENT + ": HTTP " + r.statusCode() + " " + r.body());
    }
  }

  private static void run(Duration measure, Duration warmup) throws Exception {
    int inflight = Integer.getInteger("bench.inflight", 200);
    int httpInflight = Integer.getInteger("bench.http.inflight", 200);
    List<Integer> httpClients = java.util.Arrays.stream(System.getProperty("bench.http.clients", "200,1000").split(","))
        .map(String::trim).filter(x -> !x.isEmpty()).map(Integer::valueOf).toList();
    boolean reads = Boolean.parseBoolean(System.getProperty("bench.reads", "true"));
    int readConcurrency = Integer.getInteger("bench.read.concurrency", 64);
    int phases = 2 + httpClients.size() + (reads ? 1 : 0);
    TestNodes.Ports ports = TestNodes.Ports.free();
    int rawConnections = Integer.getInteger("bench.raw.connections", 4);
    int rawBatch = Integer.getInteger("bench.raw.batch", 400);
    int cores = Runtime.getRuntime().availableProcessors();
    BenchDatabase database = BenchDatabase.open();
    DatabaseTarget target = database.target();
    Probe probe = new Probe(target);
    try {
      System.out.printf("machine: %d cores, max heap %d MiB, java %s; load average at start: %s%n", cores,
          Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.version"), Probe.loadAverage());
      System.out.println("postgres: " + query(target, "SELECT 'version=' || current_setting('server_version') "
          + "|| ' fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit')"));
      SessionDriver.Result sessions;
      Probe.Window inProcess;
      List<HttpPhase> overHttp = new java.util.ArrayList<>();
      ViewReads viewReads = null;
      // Open streams are bounded per node (troupe.broker.max-streams); the 1,000-session phase needs more.
      // The benchmark's one user (the admin) runs every session and stream: its quotas lifted.
      int streams = 4 * Math.max(httpInflight, 1000);
      Map<String, Object> settings = Map.of("troupe.broker.max-streams", streams,
          "troupe.broker.max-streams-per-key", streams, "troupe.quotas.sse-streams", streams,
          "troupe.quotas.concurrent-sessions", streams);
      try (TroupeNode node = TroupeNode.start(TestNodes.config(target, ports, List.of(), settings),
          io.troupe.agents.DomainEntities.ALL, tools())) {
        io.troupe.http.TroupeServer.start(node);
        Cluster cluster = Cluster.get(node.system());
        for (int i = 0; i < 600 && cluster.selfMember().status() != MemberStatus.up(); i++) {
          Thread.sleep(100);
        }
        System.out.printf("%n[1/%d] sessions in process: scripted agent (noop tool call, then final text), %d in flight, "
            + "%d s warm-up + %d s measured%n", phases, inflight, warmup.toSeconds(), measure.toSeconds());
        Probe.checkpoint(target);
        Probe.Pending window = probe.schedule(warmup, measure);
        ActorSystem classic = node.system().classicSystem();
        sessions = SessionDriver.run(classic, node.system(), agent(), inflight, warmup, measure);
        inProcess = window.await();
        System.out.printf("  completed %d sessions in the window, %d failed (first: %s)%n", sessions.completed(),
            sessions.failed(), sessions.firstFailure());
        System.out.println("  " + inProcess.describe(cores));

        defineOverHttp(ports.http());
        int phase = 2;
        for (int clients : httpClients) {
          System.out.printf("%n[%d/%d] sessions over HTTP: POST /api/v1/agents/%s/sessions, then its SSE events to "
                  + "done, %d clients, %d s warm-up + %d s measured%n", phase++, phases, HTTP_AGENT, clients,
              warmup.toSeconds(), measure.toSeconds());
          Probe.checkpoint(target);
          Probe.Pending httpWindow = probe.schedule(warmup, measure);
          HttpSessionDriver.Result http = HttpSessionDriver.run(ports.http(), TestNodes.ADMIN_TOKEN, HTTP_AGENT, clients,
              warmup, measure);
          Probe.Window w = httpWindow.await();
          System.out.printf("  completed %d sessions in the window, %d failed (first: %s)%n", http.completed(),
              http.failed(), http.firstFailure());
          System.out.println("  " + w.describe(cores));
          overHttp.add(new HttpPhase(clients, http, w));
        }
        if (reads) {
          viewReads = viewReads(target, ports.http(), node.settings(), readConcurrency, phase, phases, warmup, measure);
        }
      }
      System.out.println("  journal rows written by the whole run, by writer: " + query(target,
          "SELECT string_agg(k || ' ' || n, ', ') FROM (SELECT CASE WHEN persistence_id LIKE 'Session|%' THEN "
              + "'session events' ELSE regexp_replace(persistence_id, '[0-9]+$', '*') END k, count(*) n "
              + "FROM event_journal GROUP BY 1 ORDER BY 2 DESC LIMIT 4) t")
          + "; event_tag rows " + query(target, "SELECT count(*) FROM event_tag"));
      String[] shape = query(target, "SELECT round(avg(octet_length(event_payload))) || ' ' || min(event_ser_id) "
          + "|| ' ' || min(event_ser_manifest) FROM event_journal WHERE persistence_id LIKE 'Session|%'").split(" ");
      int payload = Integer.parseInt(shape[0]);

      System.out.printf("%n[%d/%d] raw JDBC inserts into %s: %d connections x %d-row batches, %d-byte payloads "
              + "(session events' average), %d s warm-up + %d s measured%n", phases, phases, RawJdbcInsertBenchmark.TABLE,
          rawConnections, rawBatch, payload, warmup.toSeconds(), measure.toSeconds());
      Probe.checkpoint(target);
      Probe.Pending rawProbe = probe.schedule(warmup, measure);
      RawJdbcInsertBenchmark.Result raw = RawJdbcInsertBenchmark.run(target, payload, shape[2],
          Integer.parseInt(shape[1]), Math.max(1, inflight / rawConnections), rawConnections, rawBatch, warmup, measure);
      Probe.Window rawWindow = rawProbe.await();
      RawJdbcInsertBenchmark.drop(target);
      System.out.printf("  inserted %d rows in %.1f s = %.0f rows/s (%d batches)%n", raw.rows(), raw.seconds(),
          raw.rate(), raw.batches());
      System.out.println("  " + rawWindow.describe(cores));

      double perSecond = sessions.completed() / sessions.seconds();
      double events = EVENTS_PER_SESSION * perSecond;
      System.out.println();
      System.out.println("=== results ===");
      System.out.printf("sessions            : %,10.0f sessions/s (%d in flight)%n", perSecond, inflight);
      System.out.printf("events persisted    : %,10.0f events/s (6 per session, in 5 persists: %,.0f persists/s)%n",
          events, 5 * perSecond);
      System.out.printf("raw JDBC insert     : %,10.0f rows/s%n", raw.rate());
      System.out.printf("ratio events / raw  : %10.3f%n", events / raw.rate());
      System.out.printf("step latency (all 5): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          ms(sessions.allSteps(), 50), ms(sessions.allSteps(), 99), ms(sessions.allSteps(), 100));
      String[] names = {"start -> SessionStarted", "-> LlmResponded (tool call)", "-> ToolCallStarted",
          "-> ToolCallCompleted", "-> LlmResponded+SessionCompleted"};
      for (int s = 0; s < names.length; s++) {
        System.out.printf("  step %d %-34s p50 %7.2f ms, p99 %7.2f ms%n", s + 1, names[s],
            ms(sessions.steps()[s], 50), ms(sessions.steps()[s], 99));
      }
      System.out.printf("session end to end  : p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          ms(sessions.endToEnd(), 50), ms(sessions.endToEnd(), 99), ms(sessions.endToEnd(), 100));
      double nodeMsInProcess = 1e3 * inProcess.nodeCores() / perSecond;
      System.out.printf("node CPU per session in process: %.2f ms (%.2f cores)%n", nodeMsInProcess, inProcess.nodeCores());
      for (HttpPhase h : overHttp) {
        double rate = h.result().perSecond();
        double nodeMs = 1e3 * h.window().nodeCores() / Math.max(rate, 1e-9);
        System.out.printf("over HTTP, %4d clients: %,8.0f sessions/s = %.2f x in process (target >= 0.5); "
                + "failed %d; end to end p50 %.2f ms, p99 %.2f ms, max %.2f ms; start answered p99 %.2f ms; "
                + "node CPU %.2f ms/session = %.2f x in process (target <= 2); load generator %.2f cores%n",
            h.clients(), rate, rate / perSecond, h.result().failed(), ms(h.result().endToEnd(), 50),
            ms(h.result().endToEnd(), 99), ms(h.result().endToEnd(), 100), ms(h.result().startAnswer(), 99), nodeMs,
            nodeMs / nodeMsInProcess, h.window().clientCores());
      }
      if (viewReads != null) {
        System.out.printf("session view (%d events): %,8.0f req/s over HTTP = %.2f x raw select (%,.0f/s) (target >= 0.5),"
                + " %d failed%n", EVENTS_PER_SESSION, viewReads.http().rate(), viewReads.http().rate() / viewReads.raw().rate(),
            viewReads.raw().rate(), viewReads.http().failed());
      }
      System.out.println("load average at end: " + Probe.loadAverage());
    } finally {
      probe.close();
      database.close();
    }
  }

  private record ViewReads(HttpClosedLoop.Result http, RawJdbcReadBenchmark.Result raw) {}

  /**
   * The read journal's by-persistence-id query (pekko-persistence-jdbc 1.1), every column, for all
   * of one session's events: the database's cost of the rows a session view is folded from.
   */
  private static final String SESSION_EVENTS_SQL = "SELECT ordering, deleted, persistence_id, sequence_number, writer,"
      + " write_timestamp, adapter_manifest, event_payload, event_ser_id, event_ser_manifest, meta_payload, meta_ser_id,"
      + " meta_ser_manifest FROM event_journal WHERE persistence_id = ? AND deleted = false AND sequence_number >= 1"
      + " ORDER BY sequence_number";

  /**
   * GET /api/v1/sessions/{id} of finished sessions (of the HTTP phases), closed loop, against the
   * same rows selected raw with as many connections as the node's query pool, which serves the view.
   */
  private static ViewReads viewReads(DatabaseTarget target, int port, io.troupe.runtime.node.NodeSettings settings,
                                     int concurrency, int phase, int phases, Duration warmup, Duration measure)
      throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT session_id FROM agent_session WHERE status = 'COMPLETED'"
             + " ORDER BY session_id LIMIT 1000")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    if (ids.isEmpty()) {
      System.out.println("  no finished sessions to read");
      return null;
    }
    int queryPool = settings.queryPoolSize();
    System.out.printf("%n[%d/%d] reads: session view (GET /api/v1/sessions/{id}) of %d finished sessions, over HTTP "
            + "(%d connections) and raw (%d connections, the node's query pool), %d s warm-up + %d s measured each%n",
        phase, phases, ids.size(), concurrency, queryPool, warmup.toSeconds(), measure.toSeconds());
    HttpClosedLoop.Result http = HttpClosedLoop.run(port, concurrency,
        n -> NioHttpLoad.request("GET", "/api/v1/sessions/" + ids.get((int) (n % ids.size())), port,
            TestNodes.ADMIN_TOKEN, null), 200, warmup, measure);
    System.out.println("  session view over HTTP: " + http.describe());
    RawJdbcReadBenchmark.Result raw = RawJdbcReadBenchmark.run(target, queryPool, SESSION_EVENTS_SQL,
        (st, n) -> st.setString(1, "Session|" + ids.get((int) (n % ids.size()))), warmup, measure);
    System.out.printf("  session events raw: %,d selects in %.1f s = %,.0f/s (%.1f rows each)%n", raw.queries(),
        raw.seconds(), raw.rate(), (double) raw.rows() / Math.max(1, raw.queries()));
    return new ViewReads(http, raw);
  }

  /** The p-th percentile of sorted nanoseconds, in milliseconds (-1 when empty). */
  static double ms(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return -1;
    }
    int index = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
    return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, index))] / 1e6;
  }

  private static String query(DatabaseTarget target, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

}
