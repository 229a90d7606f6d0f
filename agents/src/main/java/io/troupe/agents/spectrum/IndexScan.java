package io.troupe.agents.spectrum;

/**
 * One search of an {@link AllocationIndex}: the searcher's numbers unpacked once, then each
 * visited cell's run of centres in [minMhz, maxMhz] tested exactly as step 2 of the model does
 * (gap test when {@code gapTo} is given; time overlap and distance within radio reach when
 * {@code from} is given). The straight chord between the two points bounds the great-circle
 * distance from below, so most pairs the cells bring in are ruled out with a few multiplications
 * instead of the haversine's trigonometry; only the haversine decides.
 */
final class IndexScan {
  private final double minMhz;
  private final double maxMhz;
  private final AllocationIndex.Reached visitor;
  private final boolean gapTest;
  private final double low;
  private final double high;
  private final double bandwidth;
  private final double gapFactor;
  private final boolean reachTest;
  private final double latitude;
  private final double longitude;
  private final double x;
  private final double y;
  private final double z;
  private final double sqrtHeight;
  private final double earthRadiusKm;
  private final double maxDistanceKm;
  private final double horizonFactor;
  private final long startSecond;
  private final int startNano;
  private final long endSecond;
  private final int endNano;

  IndexScan(double minMhz, double maxMhz, Emission gapTo, double gapFactor, Emission from, ModelConstants k,
            AllocationIndex.Reached visitor) {
    this.minMhz = minMhz;
    this.maxMhz = maxMhz;
    this.visitor = visitor;
    this.gapFactor = gapFactor;
    gapTest = gapTo != null;
    low = gapTest ? gapTo.lowMhz() : 0;
    high = gapTest ? gapTo.highMhz() : 0;
    bandwidth = gapTest ? gapTo.bandwidthMhz() : 0;
    reachTest = from != null;
    latitude = reachTest ? from.latitude() : 0;
    longitude = reachTest ? from.longitude() : 0;
    double phi = Math.toRadians(latitude);
    double lambda = Math.toRadians(longitude);
    x = Math.cos(phi) * Math.cos(lambda);
    y = Math.cos(phi) * Math.sin(lambda);
    z = Math.sin(phi);
    sqrtHeight = reachTest ? Math.sqrt(from.antennaHeightM()) : 0;
    earthRadiusKm = reachTest ? k.earthRadiusKm() : 0;
    maxDistanceKm = reachTest ? k.maxCandidateDistanceKm() : 0;
    horizonFactor = reachTest ? k.radioHorizonFactor() : 0;
    startSecond = reachTest ? from.start().getEpochSecond() : 0;
    startNano = reachTest ? from.start().getNano() : 0;
    endSecond = reachTest ? from.end().getEpochSecond() : 0;
    endNano = reachTest ? from.end().getNano() : 0;
  }

  /** Visits the cell's allocations that pass; {@code unordered} for the unlocated cell, whose centres may be NaN. */
  void cell(CellAllocations c, boolean unordered) {
    int i = unordered ? 0 : c.firstAtOrAbove(minMhz);
    for (; i < c.size; i++) {
      double centre = c.centre[i];
      if (centre > maxMhz) {
        if (unordered) {
          continue;
        }
        return;
      }
      if (centre < minMhz) {
        continue;
      }
      if (gapTest && SpectrumModel.edgeGapMhz(low, high, c.low[i], c.high[i])
          >= gapFactor * Math.max(bandwidth, c.bandwidth[i])) {
        continue;
      }
      double distanceKm = Double.NaN;
      if (reachTest) {
        double reachKm = Math.min(maxDistanceKm, horizonFactor * (sqrtHeight + c.sqrtHeight[i]));
        double dx = c.x[i] - x;
        double dy = c.y[i] - y;
        double dz = c.z[i] - z;
        double chordKm = Math.sqrt(dx * dx + dy * dy + dz * dz) * earthRadiusKm;
        // the margins dwarf the rounding of either distance; a NaN reach rules nothing out, as in the model
        if (chordKm > reachKm * (1 + 1e-9) + 1e-6
            || !before(startSecond, startNano, c.endSecond[i], c.endNano[i])
            || !before(c.startSecond[i], c.startNano[i], endSecond, endNano)) {
          continue;
        }
        distanceKm = SpectrumModel.haversineKm(latitude, longitude, c.latitude[i], c.longitude[i], earthRadiusKm);
        if (distanceKm > reachKm) {
          continue;
        }
      }
      visitor.accept(c.allocations[i], distanceKm);
    }
  }

  private static boolean before(long secondA, int nanoA, long secondB, int nanoB) {
    return secondA < secondB || (secondA == secondB && nanoA < nanoB);
  }
}
