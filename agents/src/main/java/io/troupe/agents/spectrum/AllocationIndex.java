package io.troupe.agents.spectrum;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A theater's active allocations, indexed by centre frequency so the model looks only at the
 * slice of spectrum a request can reach instead of scanning them all.
 *
 * <p>Allocations sit in 1 MHz bins of flat arrays (centre, edges, bandwidth, latitude, antenna
 * height), so a search reads contiguous numbers and follows a reference only for an allocation
 * that passes the frequency and latitude tests; with 100,000 allocations a request's window holds
 * thousands of them and chasing each one's objects would dominate. The window is bounded by the
 * widest bandwidth currently indexed, kept in a counted multiset so removing the widest narrows it
 * again. Lists come back by centre frequency, then allocationId. Not thread-safe: the owning
 * entity mutates it only from its event handler.
 */
public final class AllocationIndex {

  private static final double BIN_MHZ = 1.0;

  /** Slack on the frequency window so rounding never drops an allocation on the window's edge. */
  private static final double WINDOW_SLACK_MHZ = 1e-6;

  static final Comparator<ActiveAllocation> BY_FREQUENCY = Comparator
      .comparingDouble((ActiveAllocation a) -> a.emission().frequencyMhz())
      .thenComparing(ActiveAllocation::allocationId);

  private final Map<String, ActiveAllocation> byId = new HashMap<>();
  private final TreeMap<Long, Bin> bins = new TreeMap<>();
  private final TreeMap<Double, Integer> bandwidthCounts = new TreeMap<>();

  /** Adds an allocation; one already indexed under the same allocationId is replaced. */
  public void add(ActiveAllocation allocation) {
    remove(allocation.allocationId());
    byId.put(allocation.allocationId(), allocation);
    bins.computeIfAbsent(binOf(allocation.emission().frequencyMhz()), b -> new Bin()).add(allocation);
    bandwidthCounts.merge(allocation.emission().bandwidthMhz(), 1, Integer::sum);
  }

  /** Removes and returns the allocation, if it was indexed. */
  public Optional<ActiveAllocation> remove(String allocationId) {
    ActiveAllocation removed = byId.remove(allocationId);
    if (removed == null) {
      return Optional.empty();
    }
    long key = binOf(removed.emission().frequencyMhz());
    Bin bin = bins.get(key);
    bin.remove(removed);
    if (bin.size == 0) {
      bins.remove(key);
    }
    bandwidthCounts.computeIfPresent(removed.emission().bandwidthMhz(), (bw, n) -> n == 1 ? null : n - 1);
    return Optional.of(removed);
  }

  public Optional<ActiveAllocation> get(String allocationId) {
    return Optional.ofNullable(byId.get(allocationId));
  }

  public int size() {
    return byId.size();
  }

  /** Every indexed allocation, in no particular order (a read-only view). */
  public Collection<ActiveAllocation> all() {
    return Collections.unmodifiableCollection(byId.values());
  }

  /**
   * The allocations whose frequency edge gap to {@code e}, g = max(loA, loB) − min(hiA, hiB), is
   * below {@code gapFactor}·max(B_A, B_B) MHz: the frequency half of the candidate test, in
   * frequency order. Time and distance are left to the model.
   */
  public List<ActiveAllocation> near(Emission e, double gapFactor) {
    List<ActiveAllocation> found = new ArrayList<>();
    double half = reachMhz(e.bandwidthMhz(), maxBandwidthMhz(), gapFactor);
    scan(e.frequencyMhz() - half, e.frequencyMhz() + half, e, gapFactor, null, null, (a, d) -> found.add(a));
    found.sort(BY_FREQUENCY);
    return found;
  }

  /** The allocations whose occupied band overlaps the closed range [minMhz, maxMhz], in frequency order. */
  public List<ActiveAllocation> inRange(double minMhz, double maxMhz) {
    List<ActiveAllocation> found = new ArrayList<>();
    if (minMhz > maxMhz) {
      return found;
    }
    double halfWidest = maxBandwidthMhz() / 2 + WINDOW_SLACK_MHZ;
    forEachCentredIn(minMhz - halfWidest, maxMhz + halfWidest, a -> {
      if (a.emission().lowMhz() <= maxMhz && a.emission().highMhz() >= minMhz) {
        found.add(a);
      }
    });
    found.sort(BY_FREQUENCY);
    return found;
  }

  /** The widest bandwidth indexed, MHz (0 when empty). */
  double maxBandwidthMhz() {
    return bandwidthCounts.isEmpty() ? 0 : bandwidthCounts.lastKey();
  }

  /** Visits the allocations whose centre lies in [minMhz, maxMhz], in no particular order. */
  void forEachCentredIn(double minMhz, double maxMhz, Consumer<ActiveAllocation> visitor) {
    scan(minMhz, maxMhz, null, 0, null, null, (a, d) -> visitor.accept(a));
  }

  /** Receives an allocation and its great-circle distance, km, from the emission searched around. */
  @FunctionalInterface
  interface Reached {
    void accept(ActiveAllocation allocation, double distanceKm);
  }

  /**
   * Visits, in no particular order, the allocations centred in [minMhz, maxMhz] that overlap
   * {@code from} in time (half-open windows) and lie within radio reach of it,
   * min(max distance, horizon factor·(√h_from + √h)), and, when {@code gapTo} is given, pass the
   * frequency gap test against it: step 2 of the model, read from flat arrays. The latitude
   * difference bounds the great-circle distance from below, so most pairs are ruled out without
   * trigonometry.
   */
  void forEachReachable(double minMhz, double maxMhz, Emission gapTo, double gapFactor, Emission from,
                        ModelConstants k, Reached visitor) {
    scan(minMhz, maxMhz, gapTo, gapFactor, from, k, visitor);
  }

  private void scan(double minMhz, double maxMhz, Emission gapTo, double gapFactor, Emission from, ModelConstants k,
                    Reached visitor) {
    if (bins.isEmpty() || minMhz > maxMhz) {
      return;
    }
    boolean gapTest = gapTo != null;
    double low = gapTest ? gapTo.lowMhz() : 0;
    double high = gapTest ? gapTo.highMhz() : 0;
    double bandwidth = gapTest ? gapTo.bandwidthMhz() : 0;
    boolean reachTest = from != null;
    double latitude = reachTest ? from.latitude() : 0;
    double longitude = reachTest ? from.longitude() : 0;
    double sqrtHeight = reachTest ? Math.sqrt(from.antennaHeightM()) : 0;
    double earthRadiusKm = reachTest ? k.earthRadiusKm() : 0;
    double kmPerDegree = earthRadiusKm * Math.PI / 180;
    double maxDistanceKm = reachTest ? k.maxCandidateDistanceKm() : 0;
    double horizonFactor = reachTest ? k.radioHorizonFactor() : 0;
    long startSecond = reachTest ? from.start().getEpochSecond() : 0;
    int startNano = reachTest ? from.start().getNano() : 0;
    long endSecond = reachTest ? from.end().getEpochSecond() : 0;
    int endNano = reachTest ? from.end().getNano() : 0;
    for (Bin bin : bins.subMap(binOf(minMhz), true, binOf(maxMhz), true).values()) {
      for (int i = 0; i < bin.size; i++) {
        double centre = bin.centre[i];
        if (centre < minMhz || centre > maxMhz) {
          continue;
        }
        if (gapTest && SpectrumModel.edgeGapMhz(low, high, bin.low[i], bin.high[i])
            >= gapFactor * Math.max(bandwidth, bin.bandwidth[i])) {
          continue;
        }
        double distanceKm = Double.NaN;
        if (reachTest) {
          double reachKm = Math.min(maxDistanceKm, horizonFactor * (sqrtHeight + bin.sqrtHeight[i]));
          if (Math.abs(bin.latitude[i] - latitude) * kmPerDegree > reachKm * (1 + 1e-9) + 1e-6
              || !before(startSecond, startNano, bin.endSecond[i], bin.endNano[i])
              || !before(bin.startSecond[i], bin.startNano[i], endSecond, endNano)) {
            continue;
          }
          distanceKm = SpectrumModel.haversineKm(latitude, longitude, bin.latitude[i], bin.longitude[i], earthRadiusKm);
          if (distanceKm > reachKm) {
            continue;
          }
        }
        visitor.accept(bin.allocations[i], distanceKm);
      }
    }
  }

  private static boolean before(long secondA, int nanoA, long secondB, int nanoB) {
    return secondA < secondB || (secondA == secondB && nanoA < nanoB);
  }

  private static long binOf(double frequencyMhz) {
    return (long) Math.floor(frequencyMhz / BIN_MHZ);
  }

  /** How far apart two centres can be and still pass the gap test, for bandwidths up to the given ones. */
  static double reachMhz(double bandwidthMhz, double widestOtherMhz, double gapFactor) {
    return Math.max(0, gapFactor) * Math.max(bandwidthMhz, widestOtherMhz)
        + (bandwidthMhz + widestOtherMhz) / 2 + WINDOW_SLACK_MHZ;
  }

  /** One bin's allocations as parallel arrays, unordered; removal swaps the last one in. */
  private static final class Bin {
    int size;
    double[] centre = new double[4];
    double[] low = new double[4];
    double[] high = new double[4];
    double[] bandwidth = new double[4];
    double[] latitude = new double[4];
    double[] longitude = new double[4];
    double[] sqrtHeight = new double[4];
    long[] startSecond = new long[4];
    int[] startNano = new int[4];
    long[] endSecond = new long[4];
    int[] endNano = new int[4];
    ActiveAllocation[] allocations = new ActiveAllocation[4];

    void add(ActiveAllocation a) {
      if (size == centre.length) {
        int capacity = size * 2;
        centre = Arrays.copyOf(centre, capacity);
        low = Arrays.copyOf(low, capacity);
        high = Arrays.copyOf(high, capacity);
        bandwidth = Arrays.copyOf(bandwidth, capacity);
        latitude = Arrays.copyOf(latitude, capacity);
        longitude = Arrays.copyOf(longitude, capacity);
        sqrtHeight = Arrays.copyOf(sqrtHeight, capacity);
        startSecond = Arrays.copyOf(startSecond, capacity);
        startNano = Arrays.copyOf(startNano, capacity);
        endSecond = Arrays.copyOf(endSecond, capacity);
        endNano = Arrays.copyOf(endNano, capacity);
        allocations = Arrays.copyOf(allocations, capacity);
      }
      Emission e = a.emission();
      centre[size] = e.frequencyMhz();
      low[size] = e.lowMhz();
      high[size] = e.highMhz();
      bandwidth[size] = e.bandwidthMhz();
      latitude[size] = e.latitude();
      longitude[size] = e.longitude();
      sqrtHeight[size] = Math.sqrt(e.antennaHeightM());
      startSecond[size] = e.start().getEpochSecond();
      startNano[size] = e.start().getNano();
      endSecond[size] = e.end().getEpochSecond();
      endNano[size] = e.end().getNano();
      allocations[size++] = a;
    }

    void remove(ActiveAllocation a) {
      for (int i = 0; i < size; i++) {
        if (allocations[i] == a) {
          int last = --size;
          centre[i] = centre[last];
          low[i] = low[last];
          high[i] = high[last];
          bandwidth[i] = bandwidth[last];
          latitude[i] = latitude[last];
          longitude[i] = longitude[last];
          sqrtHeight[i] = sqrtHeight[last];
          startSecond[i] = startSecond[last];
          startNano[i] = startNano[last];
          endSecond[i] = endSecond[last];
          endNano[i] = endNano[last];
          allocations[i] = allocations[last];
          allocations[last] = null;
          return;
        }
      }
    }
  }
}
