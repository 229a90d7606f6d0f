package io.troupe.bench;

import io.troupe.agents.spectrum.AllocationIndex;
import io.troupe.agents.spectrum.Assessment;
import io.troupe.agents.spectrum.DecisionStatus;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.ModelConstants;
import io.troupe.agents.spectrum.SpectrumModel;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.Map;

/**
 * Times {@link SpectrumModel#assess} one request at a time (System.nanoTime around each call, and
 * the thread's CPU time, which a busy shared machine's descheduling does not inflate) on
 * one thread, against an index of the theater's allocations, after a warm-up on other requests
 * of the same workload. The index is not changed: every request is decided against the same
 * allocations.
 */
final class InProcessDecisions {

  /** All decisions; those that searched for alternatives (DENIED by a frequency rule, CONFLICT) and those that did not. */
  record Result(SpectrumWorkload.Latencies all, SpectrumWorkload.Latencies noSearch, SpectrumWorkload.Latencies search,
                Map<DecisionStatus, SpectrumWorkload.Latencies> byStatus, SpectrumWorkload.Latencies cpu,
                SpectrumWorkload.Latencies cpuNoSearch, int preempting, double meanConflicts, double meanAlternatives,
                double seconds, long gcCount, long gcMillis) {
    String mix() {
      StringBuilder s = new StringBuilder();
      int n = all.count();
      for (Map.Entry<DecisionStatus, SpectrumWorkload.Latencies> e : byStatus.entrySet()) {
        s.append(s.length() == 0 ? "" : ", ").append(String.format("%s %.1f %%", e.getKey(),
            100.0 * e.getValue().count() / n));
      }
      return s + String.format(" (APPROVED with preemption %.1f %%); mean %.1f conflicts, %.2f alternatives per decision",
          100.0 * preempting / n, meanConflicts, meanAlternatives);
    }
  }

  private InProcessDecisions() {}

  static Result run(AllocationIndex index, Emission[] warmup, Emission[] requests) {
    SpectrumModel model = new SpectrumModel(ModelConstants.DEFAULT);
    long sink = 0;
    for (Emission e : warmup) {
      sink += model.assess(e, SpectrumWorkload.ROE, index).alternatives().size();
    }
    int n = requests.length;
    long[] all = new long[n];
    long[] noSearch = new long[n];
    long[] search = new long[n];
    long[] cpu = new long[n];
    long[] cpuNoSearch = new long[n];
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long gcCount0 = gcCount();
    long gcMillis0 = gcMillis();
    int noSearchCount = 0;
    int searchCount = 0;
    Map<DecisionStatus, long[]> byStatus = new EnumMap<>(DecisionStatus.class);
    Map<DecisionStatus, Integer> counts = new EnumMap<>(DecisionStatus.class);
    int preempting = 0;
    long conflicts = 0;
    long alternatives = 0;
    long started = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      Assessment a = model.assess(requests[i], SpectrumWorkload.ROE, index);
      long t = System.nanoTime() - t0;
      cpu[i] = threads.getCurrentThreadCpuTime() - c0;
      all[i] = t;
      // DENIED by a restricted zone skips the search (a zone holds at every frequency), but it is rare.
      if (a.status() == DecisionStatus.APPROVED) {
        cpuNoSearch[noSearchCount] = cpu[i];
        noSearch[noSearchCount++] = t;
      } else {
        search[searchCount++] = t;
      }
      int c = counts.merge(a.status(), 1, Integer::sum);
      byStatus.computeIfAbsent(a.status(), s -> new long[n])[c - 1] = t;
      if (!a.preempted().isEmpty()) {
        preempting++;
      }
      conflicts += a.conflicts().size();
      alternatives += a.alternatives().size();
      sink += a.reasoning().length();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    if (sink == 42) {
      System.out.print(""); // keeps the results observably used
    }
    Map<DecisionStatus, SpectrumWorkload.Latencies> statusLatencies = new EnumMap<>(DecisionStatus.class);
    byStatus.forEach((s, nanos) -> statusLatencies.put(s, SpectrumWorkload.Latencies.of(nanos, counts.get(s))));
    return new Result(SpectrumWorkload.Latencies.of(all, n), SpectrumWorkload.Latencies.of(noSearch, noSearchCount),
        SpectrumWorkload.Latencies.of(search, searchCount), statusLatencies, SpectrumWorkload.Latencies.of(cpu, n),
        SpectrumWorkload.Latencies.of(cpuNoSearch, noSearchCount), preempting, (double) conflicts / n,
        (double) alternatives / n, seconds, gcCount() - gcCount0, gcMillis() - gcMillis0);
  }

  private static long gcCount() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
  }

  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
  }
}
