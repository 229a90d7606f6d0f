package io.troupe.agents.spectrum;

import java.util.Arrays;

/**
 * One cell's allocations as parallel arrays sorted by centre frequency, so a search reads only
 * the contiguous run of centres in its frequency window (found by binary search) and follows an
 * allocation's objects only once it passes the number tests. Equal centres keep insertion order;
 * the index's callers sort their results, so that order is never visible.
 */
final class CellAllocations {
  int size;
  double[] centre = new double[4];
  double[] low = new double[4];
  double[] high = new double[4];
  double[] bandwidth = new double[4];
  double[] latitude = new double[4];
  double[] longitude = new double[4];
  /** The position as a point of the unit sphere, for {@link IndexScan}'s chord test. */
  double[] x = new double[4];
  double[] y = new double[4];
  double[] z = new double[4];
  double[] sqrtHeight = new double[4];
  long[] startSecond = new long[4];
  int[] startNano = new int[4];
  long[] endSecond = new long[4];
  int[] endNano = new int[4];
  ActiveAllocation[] allocations = new ActiveAllocation[4];

  /** The first index whose centre is not below {@code mhz} (size when none). */
  int firstAtOrAbove(double mhz) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (centre[mid] < mhz) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The first index whose centre is above {@code mhz}: where an allocation centred there goes. */
  private int firstAbove(double mhz) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (centre[mid] <= mhz) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  void add(ActiveAllocation a) {
    if (size == centre.length) {
      grow();
    }
    Emission e = a.emission();
    int i = firstAbove(e.frequencyMhz());
    shift(i, i + 1, size - i);
    centre[i] = e.frequencyMhz();
    low[i] = e.lowMhz();
    high[i] = e.highMhz();
    bandwidth[i] = e.bandwidthMhz();
    latitude[i] = e.latitude();
    longitude[i] = e.longitude();
    double phi = Math.toRadians(e.latitude());
    double lambda = Math.toRadians(e.longitude());
    x[i] = Math.cos(phi) * Math.cos(lambda);
    y[i] = Math.cos(phi) * Math.sin(lambda);
    z[i] = Math.sin(phi);
    sqrtHeight[i] = Math.sqrt(e.antennaHeightM());
    startSecond[i] = e.start().getEpochSecond();
    startNano[i] = e.start().getNano();
    endSecond[i] = e.end().getEpochSecond();
    endNano[i] = e.end().getNano();
    allocations[i] = a;
    size++;
  }

  /** Removes this very allocation (compared by identity); false when it is not here. */
  boolean remove(ActiveAllocation a) {
    // From its centre on, then from the start: the unlocated cell may hold NaN centres, which sort nowhere.
    int from = firstAtOrAbove(a.emission().frequencyMhz());
    for (int pass = 0; pass < 2; pass++) {
      for (int i = pass == 0 ? from : 0; i < size; i++) {
        if (allocations[i] == a) {
          shift(i + 1, i, size - i - 1);
          allocations[--size] = null;
          return true;
        }
      }
    }
    return false;
  }

  private void shift(int from, int to, int length) {
    if (length <= 0) {
      return;
    }
    System.arraycopy(centre, from, centre, to, length);
    System.arraycopy(low, from, low, to, length);
    System.arraycopy(high, from, high, to, length);
    System.arraycopy(bandwidth, from, bandwidth, to, length);
    System.arraycopy(latitude, from, latitude, to, length);
    System.arraycopy(longitude, from, longitude, to, length);
    System.arraycopy(x, from, x, to, length);
    System.arraycopy(y, from, y, to, length);
    System.arraycopy(z, from, z, to, length);
    System.arraycopy(sqrtHeight, from, sqrtHeight, to, length);
    System.arraycopy(startSecond, from, startSecond, to, length);
    System.arraycopy(startNano, from, startNano, to, length);
    System.arraycopy(endSecond, from, endSecond, to, length);
    System.arraycopy(endNano, from, endNano, to, length);
    System.arraycopy(allocations, from, allocations, to, length);
  }

  private void grow() {
    int capacity = size * 2;
    centre = Arrays.copyOf(centre, capacity);
    low = Arrays.copyOf(low, capacity);
    high = Arrays.copyOf(high, capacity);
    bandwidth = Arrays.copyOf(bandwidth, capacity);
    latitude = Arrays.copyOf(latitude, capacity);
    longitude = Arrays.copyOf(longitude, capacity);
    x = Arrays.copyOf(x, capacity);
    y = Arrays.copyOf(y, capacity);
    z = Arrays.copyOf(z, capacity);
    sqrtHeight = Arrays.copyOf(sqrtHeight, capacity);
    startSecond = Arrays.copyOf(startSecond, capacity);
    startNano = Arrays.copyOf(startNano, capacity);
    endSecond = Arrays.copyOf(endSecond, capacity);
    endNano = Arrays.copyOf(endNano, capacity);
    allocations = Arrays.copyOf(allocations, capacity);
  }
}
