package io.troupe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.agent.SessionIds;
import io.troupe.runtime.agent.SessionServices;
import io.troupe.runtime.agent.SessionView;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.node.RuntimeSettings;
import io.troupe.runtime.node.TroupeNode;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Recovery time of one long session (issue 14, point 4): a scripted agent whose replies each call
 * a tool {@code bench.calls-per-reply} times journals {@code bench.events} events (10,000: its
 * start, 1,111 replies with 4 or 3 tool calls, each call started and completed, the final reply
 * and its end), run through sharding on a node with {@code troupe.sessions.snapshot-every =
 * bench.snapshot-every} (the shipped default). Then the finished session's entity is started again and again
 * (spawned directly, its persistence id, settings and code the sharded entity's, so the benchmark
 * can stop it at will) and timed from its start to its answer to a Get:
 *
 * <ul>
 *   <li>snapshots off ({@code snapshot-every = 0}, a second node on the same database): its whole journal;
 *   <li>snapshots on (a third node), from the latest snapshot (taken at the session's last event), no events after it;
 *   <li>snapshots on, from the snapshot before (the latest deleted): the longest tail, snapshot-every events;
 * </ul>
 * and the same for a session id with no events (what every new session's first start costs), on
 * and off. The rows and bytes each recovery reads are counted from the tables (one snapshot row and
 * the events after it, or every event). What the snapshots cost the running session: the second
 * and third nodes each fill one more session the same way (fills alternate on, off, on), and each
 * fill's time and WAL volume are printed. Not a test: run it with
 * {@code bench/session-recovery-benchmark.sh} (see BENCHMARKS.md); it exits by itself.
 *
 * <p>System properties: {@code bench.events} (10000), {@code bench.calls-per-reply} (4),
 * {@code bench.result-bytes} (bytes of each tool result, 256), {@code bench.snapshot-every} (the default, 1000),
 * {@code bench.repetitions} (timed recoveries per case, 15), {@code bench.warmup} (untimed ones first, 3),
 * {@code bench.warmup-events} (a session filled first, untimed, 2001).
 */
public final class SessionRecoveryBenchmark {

  private static final String AGENT = "recall";
  private static final String TOOL = "lookup";
  private static int holders;

  private SessionRecoveryBenchmark() {}

  public static void main(String[] args) {
    BenchMain.run(Duration.ofMinutes(20), SessionRecoveryBenchmark::run);
  }

  /**
   * Returns at once a JSON object of about {@code bytes} bytes: words of random letters, different
   * for every call (derived from its call id), so that results, events and snapshots compress about
   * as text does rather than as one repeated string.
   */
  private static final class LookupTool implements Tool {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final int bytes;

    LookupTool(int bytes) {
      this.bytes = bytes;
    }

    @Override public String name() {
      return TOOL;
    }

    @Override public String description() {
      return "Looks something up.";
    }

    @Override public JsonNode parameters() {
      return JSON.createObjectNode().put("type", "object");
    }

    @Override public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
      java.util.Random random = new java.util.Random(context.callId().hashCode());
      StringBuilder text = new StringBuilder();
      while (text.length() < bytes - 24) {
        text.append(random.nextInt(8) == 0 ? ' ' : (char) ('a' + random.nextInt(26)));
      }
      return CompletableFuture.completedFuture(JSON.createObjectNode().put("found", true).put("text", text.toString()));
    }
  }

  /**
   * A script that journals exactly {@code events} events: SessionStarted, then replies each with
   * up to {@code callsPerReply} calls (1 + 2 events per call each), then the final reply with
   * SessionCompleted. A reply's events are odd in number, so the last reply before the final one
   * takes what is left when that is odd, one call less otherwise (and a one-call reply more).
   */
  static AgentDefinition agent(int events, int callsPerReply) {
    List<Integer> calls = new ArrayList<>();
    int left = events - 3;
    while (left > 0) {
      int c = Math.min(callsPerReply, (left - 1) / 2);
      if (c < 1 || (left - (1 + 2 * c)) == 1 || (left - (1 + 2 * c)) == 2) {
        c = Math.max(1, c - 1); // leave at least 3 for one more reply (and never 1 or 2 events)
      }
      calls.add(c);
      left -= 1 + 2 * c;
    }
    if (left != 0) {
      throw new IllegalArgumentException(events + " events cannot be split into replies of odd event counts");
    }
    List<AgentDefinition.ScriptedReply> script = new ArrayList<>();
    for (int r = 0; r < calls.size(); r++) {
      List<AgentDefinition.ScriptedToolCall> toolCalls = new ArrayList<>();
      for (int i = 1; i <= calls.get(r); i++) {
        toolCalls.add(new AgentDefinition.ScriptedToolCall(TOOL, "{\"step\":" + (r + 1) + ",\"call\":" + i + "}"));
      }
      script.add(new AgentDefinition.ScriptedReply("step " + (r + 1) + ": looking things up", toolCalls));
    }
    script.add(new AgentDefinition.ScriptedReply("all looked up", List.of()));
    return new AgentDefinition("a long conversation", "You look many things up.", "scripted", "script", 0.0,
        script.size(), 30, List.of(TOOL), List.of(), script);
  }

  private sealed interface HolderCommand {}

  /** Spawns the session's entity and asks it for its view at once. */
  private record Start(String sessionId, ActorRef<SessionView> replyTo) implements HolderCommand {}

  private record Stop(ActorRef<Done> replyTo) implements HolderCommand {}

  /** Parent of the measured entity: spawns it on Start; on Stop stops it and answers once it has terminated. */
  private static Behavior<HolderCommand> holder(SessionServices services) {
    return Behaviors.setup(ctx -> {
      ActorRef<ClusterSharding.ShardCommand> shard = ctx.spawnAnonymous(Behaviors.ignore()); // a finished session asks it to passivate it: ignored
      int[] generation = {0};
      @SuppressWarnings("unchecked") ActorRef<Session.Command>[] child = new ActorRef[1];
      @SuppressWarnings("unchecked") ActorRef<Done>[] stopping = new ActorRef[1];
      return Behaviors.receive(HolderCommand.class)
          .onMessage(Start.class, s -> {
            child[0] = ctx.spawn(Session.create(s.sessionId(), shard, services), "session-" + (++generation[0]));
            ctx.watch(child[0]);
            child[0].tell(new Session.Get(s.replyTo())); // stashed until it has recovered
            return Behaviors.same();
          })
          .onMessage(Stop.class, s -> {
            stopping[0] = s.replyTo();
            ctx.stop(child[0]);
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            if (stopping[0] != null) {
              stopping[0].tell(Done.getInstance());
              stopping[0] = null;
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  /** One measured case: recovery seconds, sorted, and what each recovery read. */
  private record Case(String name, double[] seconds, String reads, String status) {
    double percentile(double p) {
      int index = (int) Math.ceil(p / 100.0 * seconds.length) - 1;
      return seconds[Math.max(0, Math.min(seconds.length - 1, index))];
    }

    String describe() {
      return String.format("%-46s median %8.1f ms, p90 %8.1f ms (min %.1f, max %.1f; %d runs); %s; reads %s", name,
          1e3 * percentile(50), 1e3 * percentile(90), 1e3 * seconds[0], 1e3 * seconds[seconds.length - 1],
          seconds.length, status, reads);
    }
  }

  private static void run() throws Exception {
    int events = Integer.getInteger("bench.events", 10_000);
    int callsPerReply = Integer.getInteger("bench.calls-per-reply", 4);
    int resultBytes = Integer.getInteger("bench.result-bytes", 256);
    int snapshotEvery = Integer.getInteger("bench.snapshot-every",
        com.typesafe.config.ConfigFactory.defaultReference().getInt("troupe.sessions.snapshot-every"));
    int repetitions = Integer.getInteger("bench.repetitions", 15);
    int warmup = Integer.getInteger("bench.warmup", 3);
    int warmupEvents = Integer.getInteger("bench.warmup-events", 2_001);
    System.out.printf("machine: %d cores, max heap %d MiB, java %s; load average at start: %s%n",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
        System.getProperty("java.version"), Probe.loadAverage());

    BenchDatabase database = BenchDatabase.open();
    DatabaseTarget target = database.target();
    try {
      System.out.println("postgres: " + string(target, "SELECT 'version=' || current_setting('server_version') "
          + "|| ' fsync=' || current_setting('fsync') || ' shared_buffers=' || current_setting('shared_buffers')"));
      AgentDefinition agent = agent(events, callsPerReply);
      String longId = SessionIds.next(AGENT);
      String newId = SessionIds.next(AGENT); // never started: no events
      String pid = Session.ENTITY_KEY.name() + "|" + longId;
      List<Case> cases = new ArrayList<>();

      // Fills alternate on, off, on, so that neither mode's fill alone runs first on a colder JVM.
      System.out.printf("%n[1/4] snapshot-every = %d: filling one session to %,d events (%d replies, up to %d tool "
              + "calls each, %d-byte results)%n", snapshotEvery, events, agent.script().size(), callsPerReply,
          resultBytes);
      long latest;
      try (TroupeNode node = startNode(target, snapshotEvery, resultBytes)) {
        // A shorter session first, untimed, so that the timed fills run on a warmed-up JVM.
        String first = SessionIds.next(AGENT);
        System.out.println("  a warm-up session, untimed:");
        fill(node, target, agent(warmupEvents, callsPerReply), first, Session.ENTITY_KEY.name() + "|" + first,
            warmupEvents, false);
        fill(node, target, agent, longId, pid, events, true);
        latest = awaitSnapshot(target, pid, events);
        System.out.printf("  snapshots kept: %s%n", string(target, "SELECT string_agg(sequence_number || ' (' || "
            + "octet_length(snapshot_payload) || ' bytes, ' || pg_column_size(snapshot_payload) || ' stored)', ', ' "
            + "ORDER BY sequence_number) FROM snapshot WHERE persistence_id = '" + pid + "'"));
      }

      System.out.printf("%n[2/4] snapshot-every = 0 (a new node on the same database): a second session filled the same "
          + "way, then the first one's recovery from its whole journal%n");
      try (TroupeNode node = startNode(target, 0, resultBytes)) {
        String twin = SessionIds.next(AGENT);
        fill(node, target, agent, twin, Session.ENTITY_KEY.name() + "|" + twin, events, false);
        cases.add(measure(node, "long session, snapshots off (whole journal)", longId, warmup, repetitions,
            reads(target, pid, 0, events)));
        cases.add(measure(node, "new session (no events), snapshots off", newId, warmup, repetitions,
            "no snapshot query, 0 events"));
      }

      System.out.printf("%n[3/4] snapshot-every = %d again (a third node): a third session filled the same way, then "
          + "the first one's recovery from a snapshot%n", snapshotEvery);
      try (TroupeNode node = startNode(target, snapshotEvery, resultBytes)) {
        String third = SessionIds.next(AGENT);
        fill(node, target, agent, third, Session.ENTITY_KEY.name() + "|" + third, events, true);
        cases.add(measure(node, "long session, snapshots on (latest, tail)", longId, warmup, repetitions,
            reads(target, pid, latest, events)));
        cases.add(measure(node, "new session (no events), snapshots on", newId, warmup, repetitions,
            "1 snapshot query (none found) and 0 events"));
        // The longest tail: the latest snapshot gone, the one before it is read, and every event after it.
        long before = number(target, "SELECT max(sequence_number) FROM snapshot WHERE persistence_id = '" + pid
            + "' AND sequence_number < " + latest);
        execute(target, "DELETE FROM snapshot WHERE persistence_id = '" + pid + "' AND sequence_number = " + latest);
        cases.add(measure(node, "long session, snapshots on (previous, tail)", longId, warmup, repetitions,
            reads(target, pid, before, events)));
      }

      System.out.printf("%n[4/4] results (time from starting the entity to its answer to Get)%n");
      for (Case c : cases) {
        System.out.println("  " + c.describe());
      }
      double off = cases.get(0).percentile(50);
      System.out.printf("  long session: the latest snapshot recovers %.0f x faster than the whole journal (median), "
          + "the previous one with %d events after it %.0f x%n", off / cases.get(2).percentile(50), snapshotEvery,
          off / cases.get(4).percentile(50));
      System.out.println("load average at end: " + Probe.loadAverage());
    } finally {
      database.close();
    }
  }

  private static TroupeNode startNode(DatabaseTarget target, int snapshotEvery, int resultBytes) throws Exception {
    Map<String, Object> settings = Map.of(
        "troupe.sessions.snapshot-every", snapshotEvery,
        "troupe.sessions.max-duration", "1h",
        // The measured entity runs unsharded: the reviver must not wake a sharded twin of it while it runs.
        "troupe.sessions.revive-interval", "1h");
    TroupeNode node = TroupeNode.start(TestNodes.config(target, TestNodes.Ports.free(), List.of(), settings), List.of(),
        List.of(system -> new LookupTool(resultBytes)));
    Cluster cluster = Cluster.get(node.system());
    for (int i = 0; i < 600 && cluster.selfMember().status() != MemberStatus.up(); i++) {
      Thread.sleep(100);
    }
    return node;
  }

  /** Runs the session through sharding until its last event is journaled. */
  /**
   * Runs the session through sharding until its last event is journaled, and prints how long that
   * took and how much WAL the database wrote meanwhile (the journal, its tags, the read side's
   * updates and, when they are on, the snapshots).
   */
  private static void fill(TroupeNode node, DatabaseTarget target, AgentDefinition agent, String sessionId, String pid,
                           int events, boolean snapshots) throws Exception {
    String walBefore = string(target, "SELECT pg_current_wal_lsn()::text");
    long t0 = System.nanoTime();
    ClusterSharding.get(node.system()).entityRefFor(Session.ENTITY_KEY, sessionId)
        .<Session.Started>askWithStatus(r -> new Session.Start(AGENT, agent, "look it all up", null, null, r),
            Duration.ofSeconds(30))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    long journaled = 0;
    long lastPrint = t0;
    while (journaled < events) {
      Thread.sleep(250);
      journaled = number(target, "SELECT coalesce(max(sequence_number), 0) FROM event_journal WHERE persistence_id = '"
          + pid + "'");
      long now = System.nanoTime();
      if (now - lastPrint > 10e9) {
        System.out.printf("    %,d events, %.0f s, load %s%n", journaled, (now - t0) / 1e9, Probe.loadAverage());
        lastPrint = now;
      }
      if (now - t0 > Duration.ofMinutes(10).toNanos()) {
        throw new IllegalStateException("the session journaled only " + journaled + " events in 10 minutes");
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    String last = string(target, "SELECT event_ser_manifest FROM event_journal WHERE persistence_id = '" + pid
        + "' ORDER BY sequence_number DESC LIMIT 1");
    if (journaled != events || !last.endsWith("$SessionCompleted")) {
      throw new IllegalStateException("the session journaled " + journaled + " events, the last " + last);
    }
    if (snapshots) {
      awaitSnapshot(target, pid, events);
    }
    long wal = number(target, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + walBefore + "')::bigint");
    System.out.printf("  filled (snapshot-every = %d): %,d events in %.1f s (%.0f events/s); journal payload %,d bytes; "
            + "WAL written %,d bytes%n", RuntimeSettings.get(node.system()).sessions().snapshotEvery(), journaled, seconds,
        journaled / seconds,
        number(target, "SELECT sum(octet_length(event_payload)) FROM event_journal WHERE persistence_id = '" + pid + "'"),
        wal);
  }

  /** Waits until the snapshot at the session's last event is stored, and returns its sequence number. */
  private static long awaitSnapshot(DatabaseTarget target, String pid, int events) throws Exception {
    long latest = 0;
    for (int i = 0; i < 600 && latest < events; i++) {
      latest = number(target, "SELECT coalesce(max(sequence_number), 0) FROM snapshot WHERE persistence_id = '" + pid + "'");
      Thread.sleep(100);
    }
    if (latest == 0) {
      throw new IllegalStateException("no snapshot was stored");
    }
    Thread.sleep(1000); // the older snapshots' deletion, after the save
    return latest;
  }

  /** What recovering from the snapshot at {@code snapshotSeqNr} (0: none) reads: one snapshot row and the events after it. */
  private static String reads(DatabaseTarget target, String pid, long snapshotSeqNr, int events) throws Exception {
    long tailRows = number(target, "SELECT count(*) FROM event_journal WHERE persistence_id = '" + pid
        + "' AND sequence_number > " + snapshotSeqNr);
    long tailBytes = number(target, "SELECT coalesce(sum(octet_length(event_payload)), 0) FROM event_journal "
        + "WHERE persistence_id = '" + pid + "' AND sequence_number > " + snapshotSeqNr);
    if (snapshotSeqNr == 0) {
      return String.format("0 snapshot rows + %,d event rows (%,d bytes)", tailRows, tailBytes);
    }
    long snapshotBytes = number(target, "SELECT octet_length(snapshot_payload) FROM snapshot WHERE persistence_id = '"
        + pid + "' AND sequence_number = " + snapshotSeqNr);
    return String.format("1 snapshot row (at %,d, %,d bytes) + %,d event rows (%,d bytes)", snapshotSeqNr,
        snapshotBytes, tailRows, tailBytes);
  }

  private static Case measure(TroupeNode node, String name, String sessionId, int warmup, int repetitions,
                              String reads) throws Exception {
    ActorSystem<Void> system = node.system();
    SessionServices services = SessionServices.from(RuntimeSettings.get(system).sessions(), Map.of(), node.tools(),
        node.costs());
    ActorRef<HolderCommand> holder = system.systemActorOf(holder(services), "recovery-" + (++holders), Props.empty());
    Duration timeout = Duration.ofSeconds(60);
    double[] seconds = new double[repetitions];
    String status = null;
    for (int r = -warmup; r < repetitions; r++) {
      System.gc();
      long t0 = System.nanoTime();
      SessionView view = AskPattern.<HolderCommand, SessionView>ask(holder, replyTo -> new Start(sessionId, replyTo),
          timeout, system.scheduler()).toCompletableFuture().get(2, TimeUnit.MINUTES);
      long t1 = System.nanoTime();
      status = view.status() + ", " + view.toolCallCount() + " tool calls";
      if (r >= 0) {
        seconds[r] = (t1 - t0) / 1e9;
      }
      AskPattern.<HolderCommand, Done>ask(holder, Stop::new, timeout, system.scheduler()).toCompletableFuture()
          .get(2, TimeUnit.MINUTES);
    }
    system.classicSystem().stop(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(holder));
    Arrays.sort(seconds);
    Case result = new Case(name, seconds, reads, status);
    System.out.println("  " + result.describe());
    return result;
  }

  private static Connection connect(DatabaseTarget target) throws Exception {
    return DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
  }

  private static String string(DatabaseTarget target, String sql) throws Exception {
    try (Connection c = connect(target); PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long number(DatabaseTarget target, String sql) throws Exception {
    return Long.parseLong(string(target, sql));
  }

  private static void execute(DatabaseTarget target, String sql) throws Exception {
    try (Connection c = connect(target); PreparedStatement s = c.prepareStatement(sql)) {
      s.executeUpdate();
    }
  }

}
