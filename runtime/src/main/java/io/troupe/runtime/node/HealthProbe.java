package io.troupe.runtime.node;

import io.troupe.runtime.cluster.ClusterInspector;
import io.troupe.runtime.db.Database;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Liveness, readiness and the health report. A node is ready only when its cluster member is Up,
 * its shard regions answer, the database answers, and it is not shutting down, so a load
 * balancer stops sending to a node as soon as it starts to leave.
 */
public final class HealthProbe {

  private final ActorSystem<?> system;
  private final Database database;
  private final ClusterInspector inspector;
  private final Path dataDir;

  public HealthProbe(ActorSystem<?> system, Database database, ClusterInspector inspector, Path dataDir) {
    this.system = system;
    this.database = database;
    this.inspector = inspector;
    this.dataDir = dataDir;
  }

  public CompletionStage<Health.Readiness> readiness() {
    CompletableFuture<Boolean> db = database.ping().thenApply(d -> true).exceptionally(e -> false).toCompletableFuture();
    CompletableFuture<Boolean> sharding = inspector.localRegionsAnswer().thenApply(n -> true).exceptionally(e -> false).toCompletableFuture();
    return db.thenCombine(sharding, (dbOk, shardingOk) -> {
      List<String> failing = new ArrayList<>();
      if (shuttingDown()) {
        failing.add("node is shutting down");
      }
      if (Cluster.get(system).selfMember().status() != MemberStatus.up()) {
        failing.add("cluster member is " + inspector.selfStatus() + ", not up");
      }
      if (!shardingOk) {
        failing.add("shard regions do not answer");
      }
      if (!dbOk) {
        failing.add("database does not answer");
      }
      return new Health.Readiness(failing.isEmpty(), failing);
    });
  }

  public CompletionStage<Health> health() {
    CompletableFuture<Health.Database> db = database.ping()
        .thenApply(d -> new Health.Database("UP", d.toNanos() / 1e6, null))
        .exceptionally(e -> new Health.Database("DOWN", null, rootMessage(e)))
        .toCompletableFuture();
    CompletableFuture<Boolean> sharding = inspector.localRegionsAnswer().thenApply(n -> true)
        .exceptionally(e -> false).toCompletableFuture();
    return db.thenCombine(sharding, (dbHealth, shardingOk) -> {
      var state = Cluster.get(system).state();
      int memberCount = 0;
      for (var ignored : state.getMembers()) {
        memberCount++;
      }
      boolean memberUp = Cluster.get(system).selfMember().status() == MemberStatus.up();
      boolean clusterUp = memberUp && shardingOk && !shuttingDown();
      Health.Cluster cluster = new Health.Cluster(clusterUp ? "UP" : "DOWN", inspector.selfStatus(),
          memberCount, state.getUnreachable().size(),
          state.getLeader() == null ? null : state.getLeader().toString(), shardingOk);
      String status = clusterUp && "UP".equals(dbHealth.status()) ? "UP" : "DOWN";
      return new Health(status, dbHealth, cluster, systemFigures());
    });
  }

  private boolean shuttingDown() {
    return CoordinatedShutdown.get(system).getShutdownReason().isPresent();
  }

  private Health.SystemFigures systemFigures() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    Double processCpu = null;
    Double systemCpu = null;
    Long physicalTotal = null;
    Long physicalFree = null;
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      processCpu = sun.getProcessCpuLoad();
      systemCpu = sun.getCpuLoad();
      physicalTotal = sun.getTotalMemorySize();
      physicalFree = sun.getFreeMemorySize();
    }
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    File disk = dataDir.toAbsolutePath().toFile();
    while (disk != null && !disk.exists()) {
      disk = disk.getParentFile();
    }
    Health.Disk diskFigures = disk == null
        ? new Health.Disk(dataDir.toString(), 0, 0)
        : new Health.Disk(disk.getPath(), disk.getTotalSpace(), disk.getUsableSpace());
    return new Health.SystemFigures(
        new Health.Cpu(os.getAvailableProcessors(), os.getSystemLoadAverage(), processCpu, systemCpu),
        new Health.Memory(heap.getUsed(), heap.getMax(), physicalTotal, physicalFree),
        diskFigures);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
