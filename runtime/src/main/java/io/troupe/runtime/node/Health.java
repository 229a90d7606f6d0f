package io.troupe.runtime.node;

import java.util.List;

/** What {@code GET /health} reports. {@code status} is UP only when database and cluster are. */
public record Health(String status, Database database, Cluster cluster, SystemFigures system) {

  public boolean up() {
    return "UP".equals(status);
  }

  public record Database(String status, Double latencyMs, String error) {}

  public record Cluster(String status, String selfStatus, int members, int unreachable, String leader,
                        boolean shardingRunning) {}

  public record SystemFigures(Cpu cpu, Memory memory, Disk disk) {}

  public record Cpu(int availableProcessors, double systemLoadAverage, Double processCpuLoad, Double systemCpuLoad) {}

  public record Memory(long heapUsedBytes, long heapMaxBytes, Long physicalTotalBytes, Long physicalFreeBytes) {}

  public record Disk(String path, long totalBytes, long usableBytes) {}

  /** What {@code GET /health/ready} reports: ready only when every check passed. */
  public record Readiness(boolean ready, List<String> failing) {}
}
