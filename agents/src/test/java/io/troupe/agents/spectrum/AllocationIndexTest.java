package io.troupe.agents.spectrum;

import static io.troupe.agents.spectrum.EmissionBuilder.emission;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The frequency index against brute-force scans of the same allocations. */
class AllocationIndexTest {
  private static final double GAP_FACTOR = ModelConstants.DEFAULT.candidateGapFactor();
  private static final Comparator<ActiveAllocation> BY_FREQUENCY =
      Comparator.comparingDouble((ActiveAllocation a) -> a.emission().frequencyMhz()).thenComparing(ActiveAllocation::allocationId);

  private final Random random = new Random(4);
  private final AllocationIndex index = new AllocationIndex();

  private ActiveAllocation allocation(String id, double frequencyMhz, double bandwidthKhz) {
    return new ActiveAllocation(id, "asset-" + id, emission().mhz(frequencyMhz).khz(bandwidthKhz).build());
  }

  /** 5000 allocations over 30–600 MHz, 25 kHz–20 MHz wide: dense enough that windows overlap a lot. */
  private List<ActiveAllocation> fillRandomly() {
    List<ActiveAllocation> all = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      ActiveAllocation a = allocation("a" + i, 30 + random.nextDouble() * 570, 25 + random.nextDouble() * 19_975);
      all.add(a);
      index.add(a);
    }
    return all;
  }

  private static Set<String> ids(List<ActiveAllocation> allocations) {
    return allocations.stream().map(ActiveAllocation::allocationId).collect(Collectors.toSet());
  }

  private void assertNearFindsEveryFrequencyCandidate(int requests) {
    for (int i = 0; i < requests; i++) {
      Emission e = emission().mhz(20 + random.nextDouble() * 600).khz(25 + random.nextDouble() * 19_975).build();
      List<ActiveAllocation> expected = new ArrayList<>();
      for (ActiveAllocation a : index.all()) {
        Emission x = a.emission();
        double gap = Math.max(e.lowMhz(), x.lowMhz()) - Math.min(e.highMhz(), x.highMhz());
        if (gap < GAP_FACTOR * Math.max(e.bandwidthMhz(), x.bandwidthMhz())) {
          expected.add(a);
        }
      }
      List<ActiveAllocation> near = index.near(e, GAP_FACTOR);
      Set<String> found = ids(near);
      for (ActiveAllocation a : expected) {
        assertTrue(found.contains(a.allocationId()), () -> "missed " + a + " near " + e);
      }
      assertEquals(near.stream().sorted(BY_FREQUENCY).toList(), near, "in frequency order");
    }
  }

  @Test
  void nearNeverMissesAnAllocationWithinTheGap() {
    fillRandomly();
    assertNearFindsEveryFrequencyCandidate(500);
  }

  @Test
  void nearStaysCorrectAfterTheWidestAllocationsAreRemoved() {
    List<ActiveAllocation> all = fillRandomly();
    all.sort(Comparator.comparingDouble((ActiveAllocation a) -> a.emission().bandwidthKhz()).reversed());
    for (ActiveAllocation widest : all.subList(0, 1000)) {
      assertEquals(Optional.of(widest), index.remove(widest.allocationId()));
    }
    assertEquals(4000, index.size());
    assertEquals(all.get(1000).emission().bandwidthMhz(), index.maxBandwidthMhz(), 1e-12, "the window narrowed");
    assertNearFindsEveryFrequencyCandidate(500);

    index.add(all.get(0));
    assertEquals(all.get(0).emission().bandwidthMhz(), index.maxBandwidthMhz(), 1e-12, "and widens again");
    assertNearFindsEveryFrequencyCandidate(200);
  }

  @Test
  void nearFindsOnlyFrequencyNeighbours() {
    index.add(allocation("low", 100, 25));
    index.add(allocation("high", 5000, 25));
    // 1 MHz against 25 kHz: centres closer than 2 · max(1, 0.025) + (1 + 0.025) / 2 = 2.5125 MHz
    assertEquals(List.of(), index.near(emission().mhz(1000).khz(1000).build(), GAP_FACTOR));
    assertEquals(Set.of("low"), ids(index.near(emission().mhz(100.5).khz(1000).build(), GAP_FACTOR)));
  }

  @Test
  void theWidestBandwidthIsCountedSoOneOfTwoEqualRemovalsKeepsIt() {
    index.add(allocation("a", 100, 20_000));
    index.add(allocation("b", 300, 20_000));
    index.add(allocation("c", 500, 25));
    index.remove("a");
    assertEquals(20.0, index.maxBandwidthMhz(), 1e-12);
    index.remove("b");
    assertEquals(0.025, index.maxBandwidthMhz(), 1e-12);
    index.remove("c");
    assertEquals(0.0, index.maxBandwidthMhz(), 1e-12);
  }

  @Test
  void inRangeReturnsEveryOverlappingAllocationInFrequencyOrder() {
    fillRandomly();
    for (int i = 0; i < 300; i++) {
      double a = random.nextDouble() * 650;
      double b = a + random.nextDouble() * (i % 2 == 0 ? 1 : 100);
      List<ActiveAllocation> expected = index.all().stream()
          .filter(x -> x.emission().lowMhz() <= b && x.emission().highMhz() >= a)
          .sorted(BY_FREQUENCY)
          .toList();
      assertEquals(expected, index.inRange(a, b), "range " + a + "–" + b);
    }
  }

  @Test
  void inRangeCountsTouchingEdges() {
    index.add(allocation("x", 100, 1000)); // 99.5–100.5
    assertEquals(1, index.inRange(100.5, 200).size());
    assertEquals(1, index.inRange(0, 99.5).size());
    assertEquals(0, index.inRange(100.6, 200).size());
    assertEquals(0, index.inRange(200, 100).size(), "an empty range");
  }

  @Test
  void addGetRemoveAndReplace() {
    ActiveAllocation first = allocation("x", 100, 25);
    index.add(first);
    assertEquals(Optional.of(first), index.get("x"));
    assertEquals(1, index.size());

    ActiveAllocation moved = allocation("x", 200, 25);
    index.add(moved);
    assertEquals(1, index.size(), "the same allocationId replaces");
    assertEquals(Optional.of(moved), index.get("x"));
    assertEquals(List.of(), index.inRange(99, 101));
    assertEquals(List.of(moved), index.inRange(199, 201));

    assertEquals(Optional.of(moved), index.remove("x"));
    assertEquals(Optional.empty(), index.remove("x"));
    assertEquals(Optional.empty(), index.get("x"));
    assertEquals(0, index.size());
    assertTrue(index.all().isEmpty());
  }

  @Test
  void allocationsSharingACentreAreAllKept() {
    index.add(allocation("b", 100, 25));
    index.add(allocation("a", 100, 25));
    index.add(allocation("c", 100, 25));
    assertEquals(List.of("a", "b", "c"), index.inRange(100, 100).stream().map(ActiveAllocation::allocationId).toList());
    index.remove("b");
    assertEquals(List.of("a", "c"), index.near(emission().mhz(100).khz(25).build(), GAP_FACTOR).stream()
        .map(ActiveAllocation::allocationId).toList());
  }
}
