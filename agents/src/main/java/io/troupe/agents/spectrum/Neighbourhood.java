package io.troupe.agents.spectrum;

import java.util.Arrays;

/**
 * The allocations a request could reach in time and distance, for the alternatives search (step
 * 5): sorted by centre, with their path term, the frequency term of their path loss and their
 * noise precomputed, because none of these depends on the centre the request is moved to (the
 * moved request's own frequency term is computed once per step, its noise once).
 *
 * <p>They are gathered outward: {@link #cover} reads from the index only the two slices of
 * spectrum not read yet, so an allocation is read and sorted once however far the search goes
 * (re-reading the whole span each time the search widened cost most of a dense decision).
 * {@link #clear} tries first the allocation that blocked the previous blocked step on the same side:
 * whether a step is clear is an "any of them conflicts", so the order tried changes nothing but
 * the time, and one allocation typically blocks a run of neighbouring steps.
 */
final class Neighbourhood {
  private final SpectrumModel model;
  private final ModelConstants k;
  private final AllocationIndex active;
  private final Emission request;
  /** How far a centre can be from the moved request's and still pass the gap test, MHz. */
  private final double reachMhz;
  /** The request's noise: the moved request has the same bandwidth. */
  private final double requestNoiseDbm;

  /** Centres in [lowMhz, highMhz] have been read; empty while lowMhz > highMhz. */
  private double lowMhz = Double.POSITIVE_INFINITY;
  private double highMhz = Double.NEGATIVE_INFINITY;

  private int size;
  private double[] centres = new double[16];
  private double[] pathTermsDb = new double[16];
  private double[] frequencyTermsDb = new double[16];
  private double[] noisesDbm = new double[16];
  private Emission[] emissions = new Emission[16];

  /** Where the allocation that blocked the last blocked step below (0) and above (1) the request is, or −1. */
  private final int[] lastBlocker = {-1, -1};

  Neighbourhood(SpectrumModel model, ModelConstants k, AllocationIndex active, Emission request) {
    this.model = model;
    this.k = k;
    this.active = active;
    this.request = request;
    this.reachMhz = AllocationIndex.reachMhz(request.bandwidthMhz(), active.maxBandwidthMhz(), k.candidateGapFactor());
    this.requestNoiseDbm = model.noiseDbm(request);
  }

  /** Makes sure every reachable allocation a centre within ±spanMhz of the request's can meet is here. */
  void cover(double spanMhz) {
    double f = request.frequencyMhz();
    double low = f - spanMhz - reachMhz;
    double high = f + spanMhz + reachMhz;
    if (lowMhz > highMhz) {
      Slice all = gather(low, high);
      append(all, all.sortedOrder(), size);
      lowMhz = low;
      highMhz = high;
      return;
    }
    if (low < lowMhz) {
      Slice below = gather(low, Math.nextDown(lowMhz)); // every centre is below the ones already here
      append(below, below.sortedOrder(), 0);
      lowMhz = low;
    }
    if (high > highMhz) {
      Slice above = gather(Math.nextUp(highMhz), high); // every centre is above the ones already here
      append(above, above.sortedOrder(), size);
      highMhz = high;
    }
  }

  /** True when the request moved to this centre conflicts with none of them; {@code side} 0 below, 1 above. */
  boolean clear(Emission moved, int side) {
    double movedFrequencyTermDb = SpectrumModel.frequencyTermDb(moved);
    int last = lastBlocker[side];
    if (last >= 0 && blocks(moved, movedFrequencyTermDb, last)) {
      return false;
    }
    double first = moved.frequencyMhz() - reachMhz;
    int i = Arrays.binarySearch(centres, 0, size, first);
    i = i < 0 ? -i - 1 : i;
    while (i > 0 && centres[i - 1] >= first) {
      i--; // binarySearch lands on any one of several equal centres
    }
    double end = moved.frequencyMhz() + reachMhz;
    for (; i < size && centres[i] <= end; i++) {
      if (i != last && blocks(moved, movedFrequencyTermDb, i)) {
        lastBlocker[side] = i;
        return false;
      }
    }
    return true;
  }

  /** Steps 2 (the gap test; time and distance hold for all of them) and 3 for the moved request against entry i. */
  private boolean blocks(Emission moved, double movedFrequencyTermDb, int i) {
    Emission x = emissions[i];
    return SpectrumModel.edgeGapMhz(moved.lowMhz(), moved.highMhz(), x.lowMhz(), x.highMhz())
        < k.candidateGapFactor() * Math.max(moved.bandwidthMhz(), x.bandwidthMhz())
        && !Double.isNaN(model.conflictDb(moved, x, pathTermsDb[i], movedFrequencyTermDb, frequencyTermsDb[i],
            requestNoiseDbm, noisesDbm[i]));
  }

  private Slice gather(double minMhz, double maxMhz) {
    Slice slice = new Slice();
    active.forEachReachable(minMhz, maxMhz, null, 0, request, k, (a, d) -> slice.add(a.emission(), model.pathTermDb(d)));
    return slice;
  }

  /** Inserts the slice, in the given order, at {@code at} (the start or the end). */
  private void append(Slice slice, Integer[] order, int at) {
    int n = slice.size;
    if (n == 0) {
      return;
    }
    if (size + n > centres.length) {
      int capacity = Math.max(size + n, centres.length * 2);
      centres = Arrays.copyOf(centres, capacity);
      pathTermsDb = Arrays.copyOf(pathTermsDb, capacity);
      frequencyTermsDb = Arrays.copyOf(frequencyTermsDb, capacity);
      noisesDbm = Arrays.copyOf(noisesDbm, capacity);
      emissions = Arrays.copyOf(emissions, capacity);
    }
    System.arraycopy(centres, at, centres, at + n, size - at);
    System.arraycopy(pathTermsDb, at, pathTermsDb, at + n, size - at);
    System.arraycopy(frequencyTermsDb, at, frequencyTermsDb, at + n, size - at);
    System.arraycopy(noisesDbm, at, noisesDbm, at + n, size - at);
    System.arraycopy(emissions, at, emissions, at + n, size - at);
    for (int j = 0; j < n; j++) {
      int from = order[j];
      Emission x = slice.emissions[from];
      centres[at + j] = x.frequencyMhz();
      pathTermsDb[at + j] = slice.pathTermsDb[from];
      frequencyTermsDb[at + j] = SpectrumModel.frequencyTermDb(x);
      noisesDbm[at + j] = model.noiseDbm(x);
      emissions[at + j] = x;
    }
    size += n;
    if (at == 0) {
      for (int side = 0; side < 2; side++) {
        lastBlocker[side] = lastBlocker[side] < 0 ? -1 : lastBlocker[side] + n; // the entries moved up by n
      }
    }
  }

  /** What one read of the index returned, in the index's order. */
  private static final class Slice {
    int size;
    Emission[] emissions = new Emission[16];
    double[] pathTermsDb = new double[16];

    void add(Emission e, double pathTermDb) {
      if (size == emissions.length) {
        emissions = Arrays.copyOf(emissions, size * 2);
        pathTermsDb = Arrays.copyOf(pathTermsDb, size * 2);
      }
      emissions[size] = e;
      pathTermsDb[size++] = pathTermDb;
    }

    /** Positions by centre frequency. */
    Integer[] sortedOrder() {
      Integer[] order = new Integer[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(emissions[a].frequencyMhz(), emissions[b].frequencyMhz()));
      return order;
    }
  }
}
