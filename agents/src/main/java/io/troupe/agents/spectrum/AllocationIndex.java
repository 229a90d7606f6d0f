package io.troupe.agents.spectrum;

import java.util.ArrayList;
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
 * A theater's active allocations, indexed by position and centre frequency so the model looks
 * only at the allocations a request can reach, in space and in spectrum, instead of scanning
 * them all.
 *
 * <p>Allocations sit in {@link CellGrid} cells of about 50 km, each holding its allocations as
 * flat arrays sorted by centre ({@link CellAllocations}). A search with a position visits the few
 * cells within the largest radio reach any indexed allocation can have from there (bounded by the
 * tallest antenna indexed) and, in each, the run of centres in its frequency window; with 100,000
 * allocations over a 1000 km theater that is tens of allocations instead of the ~2,000 of a
 * frequency-only window. The window is bounded by the widest bandwidth currently indexed; widest
 * bandwidth and tallest antenna are kept in counted multisets so removing the extreme one narrows
 * the search again. The cells only choose what to read: every allocation read passes the same
 * tests as before, so results do not depend on the cells. Lists come back by centre frequency,
 * then allocationId. Not thread-safe: the owning entity mutates it only from its event handler.
 */
public final class AllocationIndex {

  /** Slack on the frequency window so rounding never drops an allocation on the window's edge. */
  private static final double WINDOW_SLACK_MHZ = 1e-6;

  static final Comparator<ActiveAllocation> BY_FREQUENCY = Comparator
      .comparingDouble((ActiveAllocation a) -> a.emission().frequencyMhz())
      .thenComparing(ActiveAllocation::allocationId);

  private final Map<String, ActiveAllocation> byId = new HashMap<>();
  private final Map<Long, CellAllocations> cells = new HashMap<>();
  private final TreeMap<Double, Integer> bandwidthCounts = new TreeMap<>();
  /** √(antenna height) of the allocations, counted; NaN (a negative height) sorts last and disables the spatial bound. */
  private final TreeMap<Double, Integer> sqrtHeightCounts = new TreeMap<>();

  /** Adds an allocation; one already indexed under the same allocationId is replaced. */
  public void add(ActiveAllocation allocation) {
    remove(allocation.allocationId());
    byId.put(allocation.allocationId(), allocation);
    cells.computeIfAbsent(cellOf(allocation.emission()), c -> new CellAllocations()).add(allocation);
    bandwidthCounts.merge(allocation.emission().bandwidthMhz(), 1, Integer::sum);
    sqrtHeightCounts.merge(Math.sqrt(allocation.emission().antennaHeightM()), 1, Integer::sum);
  }

  /** Removes and returns the allocation, if it was indexed. */
  public Optional<ActiveAllocation> remove(String allocationId) {
    ActiveAllocation removed = byId.remove(allocationId);
    if (removed == null) {
      return Optional.empty();
    }
    long key = cellOf(removed.emission());
    CellAllocations cell = cells.get(key);
    cell.remove(removed);
    if (cell.size == 0) {
      cells.remove(key);
    }
    bandwidthCounts.computeIfPresent(removed.emission().bandwidthMhz(), (bw, n) -> n == 1 ? null : n - 1);
    sqrtHeightCounts.computeIfPresent(Math.sqrt(removed.emission().antennaHeightM()), (h, n) -> n == 1 ? null : n - 1);
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
   * frequency gap test against it: step 2 of the model, read from the flat arrays of the cells
   * within the largest reach ({@link IndexScan} has the tests).
   */
  void forEachReachable(double minMhz, double maxMhz, Emission gapTo, double gapFactor, Emission from,
                        ModelConstants k, Reached visitor) {
    scan(minMhz, maxMhz, gapTo, gapFactor, from, k, visitor);
  }

  private void scan(double minMhz, double maxMhz, Emission gapTo, double gapFactor, Emission from, ModelConstants k,
                    Reached visitor) {
    if (cells.isEmpty() || minMhz > maxMhz) {
      return;
    }
    IndexScan scan = new IndexScan(minMhz, maxMhz, gapTo, gapFactor, from, k, visitor);
    CellGrid.Around around = from == null ? null : CellGrid.around(from.latitude(), from.longitude(),
        reachBoundKm(from, k), k.earthRadiusKm());
    if (around == null || around.cubeCells() >= cells.size()) {
      for (Map.Entry<Long, CellAllocations> cell : cells.entrySet()) {
        scan.cell(cell.getValue(), cell.getKey() == CellGrid.UNLOCATED);
      }
      return;
    }
    for (long x = around.fromX(); x <= around.toX(); x++) {
      for (long y = around.fromY(); y <= around.toY(); y++) {
        for (long z = around.fromZ(); z <= around.toZ(); z++) {
          CellAllocations cell = around.reaches(x, y, z) ? cells.get(CellGrid.key(x, y, z)) : null;
          if (cell != null) {
            scan.cell(cell, false);
          }
        }
      }
    }
    CellAllocations unlocated = cells.get(CellGrid.UNLOCATED);
    if (unlocated != null) {
      scan.cell(unlocated, true);
    }
  }

  /**
   * The largest radio reach, min(max distance, horizon factor·(√h_from + √h)), any indexed
   * allocation can have from {@code from}: the radius the cells are searched in. NaN when it
   * cannot be bounded.
   */
  private double reachBoundKm(Emission from, ModelConstants k) {
    double own = Math.sqrt(from.antennaHeightM());
    double horizon = k.radioHorizonFactor();
    double reach = Math.max(horizon * (own + sqrtHeightCounts.firstKey()), horizon * (own + sqrtHeightCounts.lastKey()));
    return Math.min(k.maxCandidateDistanceKm(), reach);
  }

  private static long cellOf(Emission e) {
    // A NaN centre would break a cell's frequency order; the unlocated cell is read without relying on it.
    return Double.isNaN(e.frequencyMhz()) ? CellGrid.UNLOCATED : CellGrid.keyOf(e.latitude(), e.longitude());
  }

  /** How far apart two centres can be and still pass the gap test, for bandwidths up to the given ones. */
  static double reachMhz(double bandwidthMhz, double widestOtherMhz, double gapFactor) {
    return Math.max(0, gapFactor) * Math.max(bandwidthMhz, widestOtherMhz)
        + (bandwidthMhz + widestOtherMhz) / 2 + WINDOW_SLACK_MHZ;
  }
}
