package io.troupe.bench;

import io.troupe.runtime.db.DatabaseTarget;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the machine and the database did during a measured window: CPU of the whole machine and
 * of this JVM (so the rest is PostgreSQL and anything else running), and PostgreSQL's commit and
 * insert counters (rows per commit is the journal's effective batch size).
 */
final class Probe {

  /** One reading. */
  record Sample(long nanos, long machineBusyTicks, long machineTotalTicks, long jvmCpuNanos,
                long clientCpuNanos, long commits, long inserted) {}

  /** Differences between the readings at the start and the end of a window. */
  record Window(double seconds, double machineCores, double jvmCores, double clientCores, long commits,
                long inserted) {
    /** This JVM's CPU less the load generator's threads: the node's own work. */
    double nodeCores() {
      return Math.max(0, jvmCores - clientCores);
    }

    String describe(int cores) {
      return String.format("cpu: machine %.2f of %d cores busy, this JVM %.2f (node %.2f, HTTP load generator %.2f), "
              + "rest (PostgreSQL, others) %.2f; postgres: %d commits, %d rows inserted, %.1f rows/commit",
          machineCores, cores, jvmCores, nodeCores(), clientCores, Math.max(0, machineCores - jvmCores), commits,
          inserted, commits == 0 ? 0.0 : (double) inserted / commits);
    }
  }

  /**
   * Threads of the HTTP load generator, whose CPU is not the node's: the benchmark's own client
   * threads ({@code bench-client-*}) and the JDK HTTP client's selector ({@code HttpClient-*}).
   */
  static boolean clientThread(String name) {
    return name != null && (name.startsWith("bench-client") || name.startsWith("HttpClient-"));
  }

  private final DatabaseTarget target;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-probe");
    t.setDaemon(true);
    return t;
  });

  Probe(DatabaseTarget target) {
    this.target = target;
  }

  /** Takes readings {@code after} from now and {@code window} later; {@link #await} collects them. */
  Pending schedule(Duration after, Duration window) {
    Pending pending = new Pending();
    scheduler.schedule(() -> pending.start.set(sample()), after.toMillis(), TimeUnit.MILLISECONDS);
    scheduler.schedule(() -> pending.end.set(sample()), after.plus(window).toMillis(), TimeUnit.MILLISECONDS);
    return pending;
  }

  static final class Pending {
    final AtomicReference<Sample> start = new AtomicReference<>();
    final AtomicReference<Sample> end = new AtomicReference<>();

    Window await() throws InterruptedException {
      for (int i = 0; i < 600 && end.get() == null; i++) {
        Thread.sleep(100);
      }
      Sample a = start.get();
      Sample b = end.get();
      if (a == null || b == null) {
        return new Window(0, 0, 0, 0, 0, 0);
      }
      double seconds = (b.nanos() - a.nanos()) / 1e9;
      long ticks = b.machineTotalTicks() - a.machineTotalTicks();
      int cores = Runtime.getRuntime().availableProcessors();
      double machine = ticks == 0 ? 0 : cores * (double) (b.machineBusyTicks() - a.machineBusyTicks()) / ticks;
      double jvm = (b.jvmCpuNanos() - a.jvmCpuNanos()) / 1e9 / seconds;
      double client = (b.clientCpuNanos() - a.clientCpuNanos()) / 1e9 / seconds;
      return new Window(seconds, machine, jvm, client, b.commits() - a.commits(), b.inserted() - a.inserted());
    }
  }

  Sample sample() {
    long[] cpu = machineTicks();
    long jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    long commits = -1;
    long inserted = -1;
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(
             "SELECT xact_commit, tup_inserted FROM pg_stat_database WHERE datname = current_database()")) {
      if (rs.next()) {
        commits = rs.getLong(1);
        inserted = rs.getLong(2);
      }
    } catch (SQLException e) {
      // counters unavailable: reported as zero differences
    }
    return new Sample(System.nanoTime(), cpu[0], cpu[1], jvm, clientCpu(), commits, inserted);
  }

  /** CPU time of the load generator's live threads (they live as long as the benchmark). */
  private static long clientCpu() {
    java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && clientThread(info.getThreadName())) {
        sum += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
      }
    }
    return sum;
  }

  /** {busy, total} jiffies of all CPUs, from /proc/stat; zeros where it is absent. */
  private static long[] machineTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "n/a";
    }
  }

  /** Forces a checkpoint, so a phase does not pay for the dirty pages of the one before. */
  static void checkpoint(DatabaseTarget target) {
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement s = c.createStatement()) {
      s.execute("CHECKPOINT");
    } catch (SQLException e) {
      System.out.println("  (no CHECKPOINT: " + e.getMessage() + ")");
    }
  }

  void close() {
    scheduler.shutdownNow();
  }
}
