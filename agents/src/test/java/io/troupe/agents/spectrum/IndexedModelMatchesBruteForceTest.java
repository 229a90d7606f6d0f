package io.troupe.agents.spectrum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The model's decisions through the spatial and frequency index (and the alternatives search's
 * outward-grown neighbourhood) against the same model applied to every active allocation, one by
 * one: the index and the search only choose what to read, so conflicts (with their I/N),
 * statuses and alternatives must be exactly the same. Theaters are seeded and crowded so that
 * most requests conflict and whole runs of raster steps are blocked; some sit on a pole or the
 * antimeridian, where latitude/longitude boxes would go wrong, and allocations are removed and
 * replaced between rounds.
 */
class IndexedModelMatchesBruteForceTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final Priority[] PRIORITIES = Priority.values();

  /** The default model with a shorter search (the brute force tries every allocation at every step). */
  private static final ModelConstants SEARCH_60 = withSearch(ModelConstants.DEFAULT, 4, 60);

  private static final Roe ROE = new Roe(
      List.of(new Roe.RestrictedBand(140, 141.5, Severity.HIGH, "band")),
      List.of(new Roe.RestrictedZone(45, 10, 5, Severity.HIGH, "zone")),
      List.of(new Roe.PowerLimit(160, 170, 30, Severity.MEDIUM)));

  private record Theater(double latitude, double longitude, double squareKm) {}

  private static final Theater MID_LATITUDE = new Theater(45, 10, 400);
  private static final Theater POLE = new Theater(89.7, 0, 300);
  private static final Theater ANTIMERIDIAN = new Theater(-30, 179.8, 300);

  private final Random random = new Random(4_000_004);

  private static ModelConstants withSearch(ModelConstants c, int alternatives, int steps) {
    return new ModelConstants(c.earthRadiusKm(), c.maxCandidateDistanceKm(), c.radioHorizonFactor(),
        c.candidateGapFactor(), c.fsplConstantDb(), c.minPathDistanceKm(), c.adjacentRejectionDb(), c.farRejectionDb(),
        c.thermalNoiseDbmPerHz(), c.noiseFigureDb(), c.conflictThresholdDb(), c.highPriorityThresholdDb(), alternatives,
        steps);
  }

  private double between(double low, double high) {
    return low + random.nextDouble() * (high - low);
  }

  /** Centres 100–200 MHz, bandwidths log-uniform 25 kHz–20 MHz, antennas 0–300 m, windows within three days. */
  private Emission emission(Theater t) {
    double halfDegrees = t.squareKm() / 2 / EmissionBuilder.KM_PER_DEGREE;
    double latitude = t.latitude() + between(-halfDegrees, halfDegrees);
    double longitude = t.longitude() + between(-halfDegrees, halfDegrees) / Math.max(0.05, Math.cos(Math.toRadians(t.latitude())));
    latitude = Math.min(90, latitude);
    longitude = longitude > 180 ? longitude - 360 : longitude;
    Instant start = T0.plusSeconds((long) between(0, 72 * 3600));
    return new Emission(between(100, 200), 25 * Math.pow(800, random.nextDouble()), between(0, 50), latitude, longitude,
        random.nextInt(10) == 0 ? between(100, 300) : between(0, 30), start,
        start.plus(Duration.ofSeconds((long) between(600, 24 * 3600))), PRIORITIES[random.nextInt(PRIORITIES.length)]);
  }

  /** Some allocations share a centre or a position with another one, as real ones do. */
  private Emission near(Emission e, Theater t) {
    Emission fresh = emission(t);
    return switch (random.nextInt(3)) {
      case 0 -> fresh.at(e.frequencyMhz());
      case 1 -> new Emission(fresh.frequencyMhz(), fresh.bandwidthKhz(), fresh.powerDbm(), e.latitude(), e.longitude(),
          fresh.antennaHeightM(), fresh.start(), fresh.end(), fresh.priority());
      default -> fresh;
    };
  }

  private List<ActiveAllocation> fill(AllocationIndex index, Theater t, int n) {
    List<ActiveAllocation> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Emission e = all.isEmpty() || random.nextInt(10) > 0 ? emission(t) : near(all.get(random.nextInt(all.size())).emission(), t);
      ActiveAllocation a = new ActiveAllocation("a" + i, "asset" + i, e);
      all.add(a);
      index.add(a);
    }
    return all;
  }

  /** Removes a third, moves a sixth (same allocationId, a new emission), and adds a few new ones. */
  private void churn(AllocationIndex index, List<ActiveAllocation> all, Theater t) {
    for (int i = all.size() - 1; i >= 0; i--) {
      int r = random.nextInt(6);
      if (r < 2) {
        assertEquals(all.get(i), index.remove(all.get(i).allocationId()).orElseThrow());
        all.remove(i);
      } else if (r == 2) {
        ActiveAllocation moved = new ActiveAllocation(all.get(i).allocationId(), "moved", emission(t));
        index.add(moved);
        all.set(i, moved);
      }
    }
    List<ActiveAllocation> added = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      ActiveAllocation a = new ActiveAllocation("b" + random.nextInt(1_000_000), "new", emission(t));
      index.add(a);
      added.add(a);
    }
    all.removeIf(a -> added.stream().anyMatch(b -> b.allocationId().equals(a.allocationId())));
    added.stream().filter(a -> index.get(a.allocationId()).orElseThrow() == a).forEach(all::add);
    assertEquals(all.size(), index.size());
  }

  /** Steps 2 and 3 against every allocation, by allocationId. */
  private static List<Conflict> bruteConflicts(SpectrumModel model, Emission request, List<ActiveAllocation> all) {
    List<Conflict> found = new ArrayList<>();
    for (ActiveAllocation a : all) {
      Emission x = a.emission();
      if (model.isCandidate(request, x) && model.conflicts(request, x)) {
        double pathTermDb = model.pathTermDb(SpectrumModel.haversineKm(request.latitude(), request.longitude(),
            x.latitude(), x.longitude(), ModelConstants.DEFAULT.earthRadiusKm()));
        found.add(new Conflict(a.allocationId(), a.assetRid(), x.priority(), model.conflictDb(request, x, pathTermDb)));
      }
    }
    found.sort(Comparator.comparing(Conflict::allocationId));
    return found;
  }

  /** Step 5 by trying every raster step against every allocation. */
  private static List<Double> bruteAlternatives(SpectrumModel model, ModelConstants k, Emission request, Roe roe,
                                                List<ActiveAllocation> all) {
    List<Double> found = new ArrayList<>();
    for (int step = 1; step <= k.alternativeSearchSteps() && found.size() < k.maxAlternatives(); step++) {
      for (int sign = -1; sign <= 1 && found.size() < k.maxAlternatives(); sign += 2) {
        double centre = request.frequencyMhz() + sign * step * request.bandwidthMhz();
        if (centre <= 0 || centre > SpectrumModel.MAX_CENTRE_MHZ) {
          continue;
        }
        Emission moved = request.at(centre);
        boolean free = model.roeViolations(moved, roe).isEmpty();
        for (int i = 0; free && i < all.size(); i++) {
          Emission x = all.get(i).emission();
          free = !(model.isCandidate(moved, x) && model.conflicts(moved, x));
        }
        if (free) {
          found.add(centre);
        }
      }
    }
    return found;
  }

  /** Returns how many of the requests conflicted, so callers can check the theater was crowded enough. */
  private int assertSameDecisions(ModelConstants k, AllocationIndex index, List<ActiveAllocation> all, Theater t,
                                  int requests) {
    SpectrumModel model = new SpectrumModel(k);
    int conflicting = 0;
    for (int i = 0; i < requests; i++) {
      Emission request = emission(t);
      Assessment a = model.assess(request, ROE, index);
      List<Conflict> conflicts = bruteConflicts(model, request, all);
      boolean denied = !model.roeViolations(request, ROE).isEmpty();
      boolean searched = denied || conflicts.stream().anyMatch(c -> !request.priority().outranks(c.priority()));
      boolean inZone = model.roeViolations(request, ROE).stream()
          .anyMatch(v -> v.violationType().equals(RoeViolation.RESTRICTED_ZONE));
      List<Double> alternatives = searched && !inZone ? bruteAlternatives(model, k, request, ROE, all) : List.of();
      String where = "request " + i + ": " + request;
      assertEquals(denied ? List.of() : conflicts, a.conflicts(), where);
      assertEquals(denied ? DecisionStatus.DENIED : searched ? DecisionStatus.CONFLICT : DecisionStatus.APPROVED,
          a.status(), where);
      assertEquals(alternatives, a.alternatives(), where);
      conflicting += a.status() == DecisionStatus.CONFLICT ? 1 : 0;
    }
    return conflicting;
  }

  private void theaterDecidesAsBruteForce(Theater t) {
    AllocationIndex index = new AllocationIndex();
    List<ActiveAllocation> all = fill(index, t, 1500);
    int conflicting = assertSameDecisions(SEARCH_60, index, all, t, 150);
    churn(index, all, t);
    conflicting += assertSameDecisions(SEARCH_60, index, all, t, 150);
    assertTrue(conflicting > 60, "crowded enough to conflict often: " + conflicting + " of 300");
  }

  @Test
  void midLatitudeTheaterDecidesExactlyAsBruteForce() {
    theaterDecidesAsBruteForce(MID_LATITUDE);
  }

  @Test
  void theaterOnThePoleDecidesExactlyAsBruteForce() {
    theaterDecidesAsBruteForce(POLE);
  }

  @Test
  void theaterAcrossTheAntimeridianDecidesExactlyAsBruteForce() {
    theaterDecidesAsBruteForce(ANTIMERIDIAN);
  }

  @Test
  void theFullDefaultSearchDecidesExactlyAsBruteForce() {
    AllocationIndex index = new AllocationIndex();
    List<ActiveAllocation> all = fill(index, MID_LATITUDE, 600);
    assertSameDecisions(ModelConstants.DEFAULT, index, all, MID_LATITUDE, 40);
  }

  @Test
  void aReachBeyondTheCellsStillDecidesAsBruteForce() {
    // 2000 km of reach spans more cells than the index holds, so it reads them all
    ModelConstants far = new ModelConstants(6371.0, 2000, 40, 2.0, 32.44, 0.1, 30.0, 45.0, -174.0, 6.0, -6.0, -10.0, 3, 40);
    Theater wide = new Theater(45, 10, 3000);
    AllocationIndex index = new AllocationIndex();
    List<ActiveAllocation> all = fill(index, wide, 800);
    assertSameDecisions(far, index, all, wide, 80);
  }

  @Test
  void forEachReachableReturnsExactlyTheReachableAllocations() {
    for (Theater t : List.of(MID_LATITUDE, POLE, ANTIMERIDIAN)) {
      AllocationIndex index = new AllocationIndex();
      List<ActiveAllocation> all = fill(index, t, 2000);
      churn(index, all, t);
      for (int i = 0; i < 200; i++) {
        Emission from = emission(t);
        double min = between(90, 210);
        double max = min + between(0, 40);
        Set<String> expected = new HashSet<>();
        for (ActiveAllocation a : all) {
          Emission x = a.emission();
          double d = SpectrumModel.haversineKm(from.latitude(), from.longitude(), x.latitude(), x.longitude(), 6371.0);
          double reach = Math.min(150, 4.12 * (Math.sqrt(from.antennaHeightM()) + Math.sqrt(x.antennaHeightM())));
          if (x.frequencyMhz() >= min && x.frequencyMhz() <= max && SpectrumModel.timesOverlap(from, x) && d <= reach) {
            expected.add(a.allocationId());
          }
        }
        Set<String> found = new HashSet<>();
        index.forEachReachable(min, max, null, 0, from, ModelConstants.DEFAULT, (a, d) -> assertTrue(
            found.add(a.allocationId()), "once each"));
        assertEquals(expected, found, t + " from " + from);
      }
    }
  }
}
