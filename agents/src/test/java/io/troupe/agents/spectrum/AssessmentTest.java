package io.troupe.agents.spectrum;

import static io.troupe.agents.spectrum.EmissionBuilder.T0;
import static io.troupe.agents.spectrum.EmissionBuilder.emission;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.agents.spectrum.Roe.RestrictedBand;
import io.troupe.agents.spectrum.Roe.RestrictedZone;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Steps 1 to 5 together. The usual scene: an existing 1 MHz allocation at 1000 MHz, 30 dBm, at
 * (0, 0), and a request 1 km north of it. Co-channel at 1 km: FSPL = 0 + 60 + 32.44 = 92.44 dB,
 * I = 30 − 92.44 = −62.44 dBm, N = −108 dBm, so I − N = 45.56 dB each way. One channel off
 * (g = 0) the 30 dB rejection leaves 15.56 dB; two channels off (g = 1 MHz, not < 1) the 45 dB
 * rejection leaves 0.56 dB, still a conflict; three channels off (g = 2 MHz) it is no candidate.
 */
class AssessmentTest {
  private final SpectrumModel model = new SpectrumModel(ModelConstants.DEFAULT);
  private final AllocationIndex active = new AllocationIndex();

  private static EmissionBuilder request() {
    return emission().northKm(1);
  }

  private void existing(String allocationId, EmissionBuilder e) {
    active.add(new ActiveAllocation(allocationId, "asset-" + allocationId, e.build()));
  }

  private Assessment assess(EmissionBuilder request) {
    return model.assess(request.build(), Roe.NONE, active);
  }

  @Test
  void anEmptyTheaterApproves() {
    Assessment a = assess(request());
    assertEquals(DecisionStatus.APPROVED, a.status());
    assertEquals(List.of(), a.violations());
    assertEquals(List.of(), a.conflicts());
    assertEquals(List.of(), a.preempted());
    assertEquals(List.of(), a.alternatives());
    assertTrue(a.reasoning().startsWith("Approved"), a.reasoning());
  }

  @Test
  void aRoeViolationDeniesWithoutLookingForConflicts() {
    existing("a", emission().priority(Priority.FLASH));
    Roe roe = new Roe(List.of(new RestrictedBand(999, 1001, Severity.HIGH, "navigation")), List.of(), List.of());
    Assessment a = model.assess(request().build(), roe, active);

    assertEquals(DecisionStatus.DENIED, a.status());
    assertEquals(1, a.violations().size());
    assertEquals(List.of(), a.conflicts());
    assertEquals(List.of(), a.preempted());
    // 999 and 1001 touch the band; 998 and 1002 conflict with "a" (0.56 dB); 997, 1003, 996 are free
    assertEquals(List.of(997.0, 1003.0, 996.0), a.alternatives());
    assertEquals("Denied: 1 Rules of Engagement violation (RESTRICTED_BAND, HIGH). 3 alternative frequencies offered.",
        a.reasoning());
  }

  @Test
  void whenEveryConflictIsLowerPriorityTheRequestPreemptsThem() {
    existing("b", emission());
    existing("a", emission().mhz(1001).priority(Priority.IMMEDIATE));
    Assessment a = assess(request().priority(Priority.FLASH));

    assertEquals(DecisionStatus.APPROVED, a.status());
    assertEquals(List.of("a", "b"), a.preempted());
    assertEquals(List.of("a", "b"), a.conflicts().stream().map(Conflict::allocationId).toList());
    assertEquals(List.of(), a.alternatives());
    assertEquals("Approved; preempts 2 lower-priority allocations (max I/N 45.6 dB).", a.reasoning());
  }

  @Test
  void oneConflictOfEqualPriorityMeansConflictAndNothingIsPreempted() {
    existing("routine", emission().priority(Priority.ROUTINE));
    existing("equal", emission().mhz(1001).priority(Priority.PRIORITY));
    Assessment a = assess(request().priority(Priority.PRIORITY));

    assertEquals(DecisionStatus.CONFLICT, a.status());
    assertEquals(List.of(), a.preempted());
    List<Conflict> conflicts = a.conflicts();
    assertEquals(List.of("equal", "routine"), conflicts.stream().map(Conflict::allocationId).toList(), "by allocationId");
    assertEquals(new Conflict("equal", "asset-equal", Priority.PRIORITY, conflicts.get(0).interferenceToNoiseDb()),
        conflicts.get(0));
    assertEquals(15.56, conflicts.get(0).interferenceToNoiseDb(), 0.01);
    assertEquals(45.56, conflicts.get(1).interferenceToNoiseDb(), 0.01);
    assertEquals("Conflict with 2 allocations, 1 of equal or higher priority (max I/N 45.6 dB). "
        + "3 alternative frequencies offered.", a.reasoning());
  }

  @Test
  void aHigherPriorityAllocationIsNeverPreempted() {
    existing("flash", emission().priority(Priority.FLASH));
    Assessment a = assess(request().priority(Priority.IMMEDIATE));
    assertEquals(DecisionStatus.CONFLICT, a.status());
    assertEquals("Conflict with 1 allocation of equal or higher priority (max I/N 45.6 dB). 3 alternative frequencies offered.",
        a.reasoning());
  }

  @Test
  void theConflictReportsTheLargerOfTheTwoDirections() {
    // existing at 0 dBm: request → existing 45.56 dB, existing → request 0 − 92.44 + 108 = 15.56 dB
    existing("quiet", emission().dbm(0));
    Assessment a = assess(request().dbm(30));
    assertEquals(45.56, a.conflicts().get(0).interferenceToNoiseDb(), 0.01);
  }

  @Test
  void allocationsOutOfReachInTimeOrDistanceDoNotConflict() {
    existing("later", emission().window(T0.plus(Duration.ofHours(1)), T0.plus(Duration.ofHours(2))));
    existing("far", emission().northKm(30));
    assertEquals(DecisionStatus.APPROVED, assess(request()).status());
  }

  @Test
  void alternativesAreNearestFirstTheLowerFirstOnATie() {
    existing("a", emission());
    // 999/1001 (15.56 dB) and 998/1002 (0.56 dB) conflict; 997, 1003, 996, 1004 … are free
    assertEquals(List.of(997.0, 1003.0, 996.0), assess(request()).alternatives());
  }

  @Test
  void alternativesSkipFrequenciesThatBreakTheRoe() {
    existing("a", emission());
    // 997 occupies 996.5–997.5 and 996 occupies 995.5–996.5: both meet the restricted 996–997
    Roe roe = new Roe(List.of(new RestrictedBand(996, 997, Severity.LOW, "beacon")), List.of(), List.of());
    Assessment a = model.assess(request().build(), roe, active);

    assertEquals(DecisionStatus.CONFLICT, a.status());
    assertEquals(List.of(1003.0, 1004.0, 995.0), a.alternatives());
    for (double f : a.alternatives()) {
      Assessment there = model.assess(request().mhz(f).build(), roe, active);
      assertEquals(DecisionStatus.APPROVED, there.status(), "at " + f);
      assertEquals(List.of(), there.preempted(), "at " + f);
    }
  }

  @Test
  void alternativesSkipFrequenciesThatWouldPreemptLowerPriorityAllocations() {
    existing("flash", emission().priority(Priority.FLASH));
    existing("routine", emission().mhz(1005).priority(Priority.ROUTINE));
    Assessment a = assess(request().priority(Priority.FLASH));
    assertEquals(DecisionStatus.CONFLICT, a.status());
    // at 1003 (g = 1 MHz) and 1004 (g = 0) the FLASH request would preempt "routine": not offered
    assertEquals(List.of("routine"), assess(request().mhz(1003).priority(Priority.FLASH)).preempted());
    assertEquals(List.of(997.0, 996.0, 995.0), a.alternatives());
  }

  @Test
  void alternativesAreSearchedOnlyWithinTheConfiguredSteps() {
    existing("a", emission());
    ModelConstants two = withSearch(3, 2);
    Assessment a = new SpectrumModel(two).assess(request().build(), Roe.NONE, active);
    assertEquals(List.of(), a.alternatives(), "±2 channels are all taken");
    assertTrue(a.reasoning().endsWith("No free frequency within ±2 channels."), a.reasoning());

    assertEquals(List.of(997.0, 1003.0), new SpectrumModel(withSearch(3, 3)).assess(request().build(), Roe.NONE, active)
        .alternatives());
    assertEquals(List.of(997.0, 1003.0, 996.0, 1004.0, 995.0),
        new SpectrumModel(withSearch(5, 1000)).assess(request().build(), Roe.NONE, active).alternatives());
  }

  @Test
  void alternativesSearchFurtherOutThroughACrowdedBand() {
    for (int f = 990; f <= 1010; f++) {
      existing("at-" + f, emission().mhz(f));
    }
    // the nearest free channels are three off the crowd: 987 and 1013, then 986
    assertEquals(List.of(987.0, 1013.0, 986.0), assess(request()).alternatives());
  }

  @Test
  void alternativesSeeAllocationsAtTheFarEdgeOfTheirReach() {
    existing("a", emission());
    existing("edge", emission().mhz(1006.9));
    // 1004 occupies 1003.5–1004.5; "edge" 1006.4–1007.4: g = 1.9 < 2, centres 2.9 MHz apart (reach 3)
    // at 45 dB rejection: 0.56 dB, a conflict. 1005 and 1006 conflict with "edge" too.
    List<Double> five = new SpectrumModel(withSearch(5, 1000)).assess(request().build(), Roe.NONE, active).alternatives();
    assertEquals(List.of(997.0, 1003.0, 996.0, 995.0, 994.0), five);
  }

  @Test
  void alternativesStayAboveZeroMegahertz() {
    existing("a", emission().mhz(1.5));
    // 0.5 and 2.5 are adjacent, 3.5 two off; −0.5 and −1.5 are no frequencies at all
    assertEquals(List.of(4.5, 5.5, 6.5), assess(request().mhz(1.5)).alternatives());
    // 2 MHz, denied by a band: 1 and 3 are free, 0 MHz two steps down is skipped, then 4
    Roe roe = new Roe(List.of(new RestrictedBand(1.9, 2.1, Severity.LOW, "low")), List.of(), List.of());
    assertEquals(List.of(1.0, 3.0, 4.0), model.assess(request().mhz(2).build(), roe, new AllocationIndex()).alternatives());
  }

  @Test
  void alternativesStayAtOrBelow300Gigahertz() {
    // 299999.5 MHz ⇒ 299999–300000, in the restricted band; 299998.5 touches it; 300000.5 and up are out of range
    Roe roe = new Roe(List.of(new RestrictedBand(299999, 300000, Severity.LOW, "top")), List.of(), List.of());
    Assessment a = model.assess(request().mhz(299999.5).build(), roe, active);
    assertEquals(DecisionStatus.DENIED, a.status());
    assertEquals(List.of(299997.5, 299996.5, 299995.5), a.alternatives());
  }

  @Test
  void aRestrictedZoneLeavesNoAlternativeFrequency() {
    Roe roe = new Roe(List.of(), List.of(new RestrictedZone(0, 0, 5, Severity.HIGH, "embassy")), List.of());
    Assessment a = model.assess(request().build(), roe, active);
    assertEquals(DecisionStatus.DENIED, a.status());
    assertEquals(List.of(), a.alternatives());
    assertEquals("Denied: 1 Rules of Engagement violation (RESTRICTED_ZONE, HIGH). No free frequency within ±1000 channels.",
        a.reasoning());
  }

  private static ModelConstants withSearch(int maxAlternatives, int steps) {
    ModelConstants d = ModelConstants.DEFAULT;
    return new ModelConstants(d.earthRadiusKm(), d.maxCandidateDistanceKm(), d.radioHorizonFactor(), d.candidateGapFactor(),
        d.fsplConstantDb(), d.minPathDistanceKm(), d.adjacentRejectionDb(), d.farRejectionDb(), d.thermalNoiseDbmPerHz(),
        d.noiseFigureDb(), d.conflictThresholdDb(), d.highPriorityThresholdDb(), maxAlternatives, steps);
  }
}
