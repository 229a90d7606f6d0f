package io.troupe.bench;

import io.troupe.agents.spectrum.AllocationIndex;
import io.troupe.agents.spectrum.Emission;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.EmbeddedDatabase;
import io.troupe.runtime.db.Schema;
import io.troupe.runtime.node.TroupeNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Deconfliction decision latency with a crowded theater, in-process and against the PostgreSQL
 * peer (the same candidate probe as a GiST-indexed range query), for a uniform and a dense
 * theater, and a coordinator's recovery time. Not a test: run it with
 * {@code bench/deconfliction-benchmark.sh} (see
 * BENCHMARKS.md). Every phase is bounded; the program exits by itself.
 *
 * <p>System properties: {@code bench.allocations} (100000), {@code bench.requests} (20000),
 * {@code bench.warmup} (5000), {@code bench.dense.requests} (2000), {@code bench.dense.warmup}
 * (500), {@code bench.pg.requests} (5000), {@code bench.pg.dense.requests} (500),
 * {@code bench.recovery.allocations} (100000), {@code bench.recovery.inflight} (100),
 * {@code bench.recoveries} (3), {@code bench.recovery.fill.seconds} (900), {@code bench.phases}
 * (uniform,dense,recovery). Database: an embedded PostgreSQL 14, fsync and synchronous_commit on.
 */
public final class DeconflictionBenchmark {

  private static final Instant BASE = Instant.parse("2030-01-01T00:00:00Z");

  private DeconflictionBenchmark() {}

  public static void main(String[] args) {
    BenchMain.run(Duration.ofMinutes(Integer.getInteger("bench.limit.minutes", 50)), () -> run());
  }

  private static void run() throws Exception {
    Set<String> phases = Stream.of(System.getProperty("bench.phases", "uniform,dense,recovery").split(","))
        .map(String::trim).collect(Collectors.toSet());
    int allocations = Integer.getInteger("bench.allocations", 100_000);
    Path pgDir = Files.createTempDirectory("troupe-bench-pg");
    EmbeddedDatabase embedded = EmbeddedDatabase.start(pgDir, 0);
    try {
      DatabaseTarget target = embedded.target();
      Schema.create(target);
      System.out.printf("machine: %d cores, max heap %d MiB, java %s; load average at start: %s%n",
          Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
          System.getProperty("java.version"), Probe.loadAverage());
      System.out.println("workload: power 10–40 dBm, antenna 2–30 m, windows start within 12 h and last 12–36 h "
          + "(all overlap), priority ROUTINE 70 % / PRIORITY 20 % / IMMEDIATE 8 % / FLASH 2 %; ROE: restricted band "
          + "1559–1610 MHz, restricted zone 15 km at the centre, power limit 30 dBm in 2400–2500 MHz");
      if (phases.contains("uniform") || phases.contains("dense")) {
        try (PostgresProbe pg = new PostgresProbe(target)) {
          if (phases.contains("uniform")) {
            scenario(SpectrumWorkload.Scenario.UNIFORM, allocations, Integer.getInteger("bench.warmup", 5000),
                Integer.getInteger("bench.requests", 20_000), Integer.getInteger("bench.pg.requests", 5000), pg);
            pg.truncate();
          }
          if (phases.contains("dense")) {
            scenario(SpectrumWorkload.Scenario.DENSE, allocations, Integer.getInteger("bench.dense.warmup", 500),
                Integer.getInteger("bench.dense.requests", 2000), Integer.getInteger("bench.pg.dense.requests", 500), pg);
            pg.truncate();
          }
        }
      }
      if (phases.contains("recovery")) {
        recovery(target);
      }
      System.out.println("load average at end: " + Probe.loadAverage());
    } finally {
      embedded.close();
      try (Stream<Path> paths = Files.walk(pgDir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static void scenario(SpectrumWorkload.Scenario scenario, int allocations, int warmup, int requests,
                               int pgRequests, PostgresProbe pg) throws Exception {
    System.out.printf("%n=== %s theater: %,d allocations, %s ===%n", scenario.name(), allocations, scenario.describe());
    Emission[] held = new Emission[allocations];
    long t0 = System.nanoTime();
    AllocationIndex index = new SpectrumWorkload(scenario, BASE, 1).index(allocations, held);
    System.out.printf("  index built in %.2f s%n", (System.nanoTime() - t0) / 1e9);
    SpectrumWorkload asks = new SpectrumWorkload(scenario, BASE, 2);
    Emission[] warm = asks.next(warmup);
    Emission[] measured = asks.next(requests);
    System.out.printf("  in-process: %d warm-up + %d measured decisions, one thread; load %s%n", warmup, requests,
        Probe.loadAverage());
    InProcessDecisions.Result in = InProcessDecisions.run(index, warm, measured);
    System.out.printf("    mix: %s; %.1f s%n", in.mix(), in.seconds());
    System.out.println("    all decisions          : " + in.all().describe());
    System.out.println("    no alternatives search : " + in.noSearch().describe() + "  (APPROVED)");
    System.out.println("    alternatives search    : " + in.search().describe() + "  (DENIED, CONFLICT)");
    in.byStatus().forEach((status, l) -> System.out.printf("    %-22s : %s%n", status, l.describe()));
    System.out.println("    thread CPU, all        : " + in.cpu().describe());
    System.out.println("    thread CPU, APPROVED   : " + in.cpuNoSearch().describe());
    System.out.printf("    GC during the measured decisions: %d collections, %d ms%n", in.gcCount(), in.gcMillis());

    double widest = 0;
    for (Emission e : held) {
      widest = Math.max(widest, e.bandwidthMhz());
    }
    double loadSeconds = pg.load(scenario.name(), held);
    System.out.printf("  PostgreSQL: %,d rows loaded and indexed in %.1f s; probe: %d warm-up + %d measured; load %s%n",
        held.length, loadSeconds, Math.min(500, pgRequests), pgRequests, Probe.loadAverage());
    Emission[] pgWarm = java.util.Arrays.copyOf(warm, Math.min(warm.length, Math.min(500, pgRequests)));
    Emission[] pgMeasured = java.util.Arrays.copyOf(measured, Math.min(measured.length, pgRequests));
    PostgresProbe.Result out = pg.probe(scenario.name(), widest, pgWarm, pgMeasured, loadSeconds);
    System.out.print("    plan of the first probe:\n" + out.plan());
    System.out.printf("    candidate probe        : %s; %.1f rows per probe%n", out.latencies().describe(), out.meanRows());
    System.out.printf("  ratio PostgreSQL probe / in-process decision (wall clock): p50 %.1fx, p99 %.1fx (all decisions); "
            + "p50 %.1fx, p99 %.1fx (APPROVED only)%n",
        out.latencies().percentileMicros(50) / in.all().percentileMicros(50),
        out.latencies().percentileMicros(99) / in.all().percentileMicros(99),
        out.latencies().percentileMicros(50) / in.noSearch().percentileMicros(50),
        out.latencies().percentileMicros(99) / in.noSearch().percentileMicros(99));
  }

  private static void recovery(DatabaseTarget target) throws Exception {
    int count = Integer.getInteger("bench.recovery.allocations", 100_000);
    int inflight = Integer.getInteger("bench.recovery.inflight", 100);
    System.out.printf("%n=== coordinator recovery: %,d allocations (uniform workload, mutually non-conflicting), "
        + "%d requests in flight while filling; load %s ===%n", count, inflight, Probe.loadAverage());
    TroupeNode node = TroupeNode.start(TestNodes.config(target, TestNodes.Ports.free(), List.of(), Map.of()));
    try {
      Instant deadline = Instant.now().plusSeconds(60);
      while (Cluster.get(node.system()).selfMember().status() != MemberStatus.up()) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("node not Up within 60 s");
        }
        Thread.sleep(100);
      }
      CoordinatorRecovery.Result r = CoordinatorRecovery.run(node.system(), target, count, inflight,
          Integer.getInteger("bench.recoveries", 3), Duration.ofSeconds(Integer.getInteger("bench.recovery.fill.seconds", 900)));
      System.out.printf("  filled %,d allocations in %.1f s (%.0f decisions/s; %,d drawn requests skipped as "
              + "conflicting); journal %d events, latest snapshot at sequence %d, %,d bytes%n", r.held(), r.fillSeconds(),
          r.held() / r.fillSeconds(), r.rejectedWhileChoosing(), r.events(), r.snapshotSequence(), r.snapshotBytes());
      System.out.printf("  recovery until the first reply: %s s; ListAllocations(APPROVED) returned %,d in %s s%n",
          r.recoverySeconds().stream().map(s -> String.format("%.2f", s)).collect(Collectors.joining(", ")),
          r.listed(), r.listSeconds().stream().map(s -> String.format("%.2f", s)).collect(Collectors.joining(", ")));
    } finally {
      node.close();
    }
  }
}
