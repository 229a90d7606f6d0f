package io.troupe.agents.spectrum;

/**
 * Cubes of a fixed side over the unit sphere, so the index can find the allocations within a
 * radio reach of a position by looking up a few cells instead of reading the whole theater.
 *
 * <p>Cells are cubes of 3-D space, not latitude/longitude boxes: the great-circle distance is
 * never shorter than the straight chord between two points, so every point within an arc of ρ
 * lies inside the cube of half-side ρ around the searcher, whatever the latitude, with no special
 * case at the poles or the antimeridian. The haversine formula the model uses is the distance
 * between exactly these 3-D points for any finite latitude and longitude. Positions that are not
 * finite get {@link #UNLOCATED}, a key every search visits, because the model's distance test
 * never rules them out (a comparison with NaN is false).
 */
final class CellGrid {

  /** Cell side on the unit sphere: 50 km on the model's 6371 km Earth, about a typical radio reach. */
  static final double SIDE = 50.0 / 6371.0;

  /** The key of allocations whose position is not finite. */
  static final long UNLOCATED = Long.MIN_VALUE;

  /** Coordinates are offset by this to keep them positive in their 21 bits. */
  private static final long OFFSET = 1 << 20;

  /** Padding of a search cube, relative and absolute, far above any rounding of the distances compared. */
  private static final double RELATIVE_SLACK = 1e-6;
  private static final double ABSOLUTE_SLACK = 1e-9;

  private CellGrid() {}

  static long keyOf(double latitude, double longitude) {
    if (!Double.isFinite(latitude) || !Double.isFinite(longitude)) {
      return UNLOCATED;
    }
    double phi = Math.toRadians(latitude);
    double lambda = Math.toRadians(longitude);
    double x = Math.cos(phi) * Math.cos(lambda);
    double y = Math.cos(phi) * Math.sin(lambda);
    double z = Math.sin(phi);
    return key(cell(x), cell(y), cell(z));
  }

  static long key(long ix, long iy, long iz) {
    return ((ix + OFFSET) << 42) | ((iy + OFFSET) << 21) | (iz + OFFSET);
  }

  static long cell(double coordinate) {
    return (long) Math.floor(coordinate / SIDE);
  }

  /**
   * The cells a search within {@code reachKm} of the position must visit: those of the cube of
   * half-side ρ around it (ρ = the reach on the unit sphere, padded) that come within ρ of the
   * position. Null when the search cannot be bounded (reach or position not finite), and then every
   * cell must be visited.
   */
  static Around around(double latitude, double longitude, double reachKm, double earthRadiusKm) {
    double rho = reachKm / earthRadiusKm * (1 + RELATIVE_SLACK) + ABSOLUTE_SLACK;
    if (!Double.isFinite(rho) || !Double.isFinite(latitude) || !Double.isFinite(longitude) || rho < 0) {
      return null;
    }
    double phi = Math.toRadians(latitude);
    double lambda = Math.toRadians(longitude);
    return new Around(Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi), rho);
  }

  /** A search ball of radius rho around (x, y, z), in cell coordinates. */
  record Around(double x, double y, double z, double rho) {
    long fromX() {
      return cell(x - rho);
    }

    long toX() {
      return cell(x + rho);
    }

    long fromY() {
      return cell(y - rho);
    }

    long toY() {
      return cell(y + rho);
    }

    long fromZ() {
      return cell(z - rho);
    }

    long toZ() {
      return cell(z + rho);
    }

    /** How many cells the cube spans. */
    long cubeCells() {
      return (toX() - fromX() + 1) * (toY() - fromY() + 1) * (toZ() - fromZ() + 1);
    }

    /** Whether any point of cell (ix, iy, iz) lies within rho: a cube corner the ball misses holds nothing reachable. */
    boolean reaches(long ix, long iy, long iz) {
      double dx = gap(x, ix);
      double dy = gap(y, iy);
      double dz = gap(z, iz);
      return dx * dx + dy * dy + dz * dz <= rho * rho;
    }

    /** The distance from the coordinate to the cell's span [i·SIDE, (i + 1)·SIDE], 0 inside it. */
    private static double gap(double coordinate, long i) {
      return Math.max(0, Math.max(i * SIDE - coordinate, coordinate - (i + 1) * SIDE));
    }
  }

}
