package io.troupe.bench;

import io.troupe.agents.spectrum.ActiveAllocation;
import io.troupe.agents.spectrum.AllocationIndex;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.Priority;
import io.troupe.agents.spectrum.Roe;
import io.troupe.agents.spectrum.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The deconfliction benchmark's synthetic theater: emissions drawn from a seeded Random, all
 * uniform within a scenario's bounds. Centres uniform in [minMhz, maxMhz]; bandwidths uniform in
 * 25 kHz–20 MHz; positions uniform in a square of {@code squareKm} side centred on 50°N 10°E
 * (flat-earth degrees per km at that latitude); power uniform 10–40 dBm; antenna height uniform
 * 2–30 m; windows start uniformly in the first 12 h after {@code base} and last 12–36 h, so every
 * pair of windows overlaps; priority ROUTINE 70 %, PRIORITY 20 %, IMMEDIATE 8 %, FLASH 2 %.
 */
final class SpectrumWorkload {

  static final double CENTRE_LAT = 50.0;
  static final double CENTRE_LON = 10.0;
  static final double KM_PER_DEG_LAT = 6371.0 * Math.PI / 180;

  /** The bounds allocations and requests are drawn from. */
  record Scenario(String name, double minMhz, double maxMhz, double squareKm) {
    static final Scenario UNIFORM = new Scenario("uniform", 30, 6000, 1000);
    static final Scenario DENSE = new Scenario("dense", 30, 88, 300);

    String describe() {
      return String.format("centres %.0f–%.0f MHz, bandwidths 25 kHz–20 MHz, positions in a %.0f km square", minMhz,
          maxMhz, squareKm);
    }
  }

  /**
   * The theater's Rules of Engagement: a CRITICAL restricted band over GNSS L1 (1559–1610 MHz), a
   * HIGH restricted zone of 15 km radius at the square's centre, and a MEDIUM power limit of 30 dBm
   * for centres in 2400–2500 MHz.
   */
  static final Roe ROE = new Roe(
      List.of(new Roe.RestrictedBand(1559, 1610, Severity.CRITICAL, "GNSS L1")),
      List.of(new Roe.RestrictedZone(CENTRE_LAT, CENTRE_LON, 15, Severity.HIGH, "airfield")),
      List.of(new Roe.PowerLimit(2400, 2500, 30, Severity.MEDIUM)));

  private final Scenario scenario;
  private final Instant base;
  private final Random random;

  SpectrumWorkload(Scenario scenario, Instant base, long seed) {
    this.scenario = scenario;
    this.base = base;
    this.random = new Random(seed);
  }

  Emission next() {
    double centre = uniform(scenario.minMhz(), scenario.maxMhz());
    double bandwidthKhz = uniform(25, 20_000);
    double halfKm = scenario.squareKm() / 2;
    double latitude = CENTRE_LAT + uniform(-halfKm, halfKm) / KM_PER_DEG_LAT;
    double longitude = CENTRE_LON + uniform(-halfKm, halfKm) / (KM_PER_DEG_LAT * Math.cos(Math.toRadians(CENTRE_LAT)));
    Instant start = base.plusSeconds((long) uniform(0, Duration.ofHours(12).toSeconds()));
    Instant end = start.plusSeconds((long) uniform(Duration.ofHours(12).toSeconds(), Duration.ofHours(36).toSeconds()));
    double p = random.nextDouble();
    Priority priority = p < 0.70 ? Priority.ROUTINE : p < 0.90 ? Priority.PRIORITY : p < 0.98 ? Priority.IMMEDIATE
        : Priority.FLASH;
    return new Emission(centre, bandwidthKhz, uniform(10, 40), latitude, longitude, uniform(2, 30), start, end, priority);
  }

  Emission[] next(int n) {
    Emission[] out = new Emission[n];
    for (int i = 0; i < n; i++) {
      out[i] = next();
    }
    return out;
  }

  /** An index holding {@code n} allocations of this workload, ids "a-1" … "a-n". */
  AllocationIndex index(int n, Emission[] keep) {
    AllocationIndex index = new AllocationIndex();
    for (int i = 0; i < n; i++) {
      Emission e = next();
      keep[i] = e;
      index.add(new ActiveAllocation("a-" + (i + 1), "asset-" + (i + 1), e));
    }
    return index;
  }

  private double uniform(double min, double max) {
    return min + (max - min) * random.nextDouble();
  }

  /** Latency percentiles of a set of nanosecond samples. */
  record Latencies(long[] sortedNanos) {
    static Latencies of(long[] nanos, int count) {
      long[] copy = Arrays.copyOf(nanos, count);
      Arrays.sort(copy);
      return new Latencies(copy);
    }

    int count() {
      return sortedNanos.length;
    }

    double percentileMicros(double p) {
      if (sortedNanos.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
      return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, i))] / 1e3;
    }

    String describe() {
      return sortedNanos.length == 0 ? "n=0" : String.format("n=%d p50 %.1f µs, p90 %.1f µs, p99 %.1f µs, max %.1f µs",
          sortedNanos.length, percentileMicros(50), percentileMicros(90), percentileMicros(99), percentileMicros(100));
    }
  }
}
