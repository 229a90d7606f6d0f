package io.troupe.agents.spectrum;

import static io.troupe.agents.spectrum.EmissionBuilder.emission;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.agents.spectrum.Roe.RestrictedBand;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Properties of the model over many seeded random cases. */
class ModelPropertiesTest {
  private static final int CASES = 2000;
  private static final Priority[] PRIORITIES = Priority.values();

  private final SpectrumModel model = new SpectrumModel(ModelConstants.DEFAULT);
  private final Random random = new Random(20_300_101);

  private double between(double low, double high) {
    return low + random.nextDouble() * (high - low);
  }

  /** An emission near 1000 MHz and near (10°N, 20°E): close enough that many pairs interact. */
  private EmissionBuilder randomEmission() {
    return emission()
        .mhz(between(995, 1005))
        .khz(between(25, 5000))
        .dbm(between(-10, 60))
        .at(between(9.8, 10.2), between(19.8, 20.2))
        .heightM(between(0, 200));
  }

  private boolean decides(Emission a, Emission b) {
    return model.isCandidate(a, b) && model.conflicts(a, b);
  }

  private Assessment assessAgainst(Emission request, Emission existing) {
    AllocationIndex active = new AllocationIndex();
    active.add(new ActiveAllocation("existing", "asset", existing));
    return model.assess(request, Roe.NONE, active);
  }

  @Test
  void theDecisionDoesNotDependOnWhichPartyIsTheRequest() {
    int conflicting = 0;
    for (int i = 0; i < CASES; i++) {
      Priority priority = PRIORITIES[random.nextInt(PRIORITIES.length)];
      Emission a = randomEmission().priority(priority).build();
      Emission b = randomEmission().priority(priority).build();

      assertEquals(model.isCandidate(a, b), model.isCandidate(b, a), "candidate " + a + " / " + b);
      assertEquals(model.conflicts(a, b), model.conflicts(b, a), "conflict " + a + " / " + b);
      Assessment aFirst = assessAgainst(a, b);
      Assessment bFirst = assessAgainst(b, a);
      assertEquals(aFirst.status(), bFirst.status(), a + " / " + b);
      if (aFirst.status() == DecisionStatus.CONFLICT) {
        conflicting++;
        assertEquals(aFirst.conflicts().get(0).interferenceToNoiseDb(), bFirst.conflicts().get(0).interferenceToNoiseDb(), 1e-9);
      }
    }
    assertTrue(conflicting > CASES / 10 && conflicting < CASES * 9 / 10, "a mix of outcomes: " + conflicting);
  }

  @Test
  void movingCoChannelAssetsApartNeverCreatesAConflict() {
    int resolvedByDistance = 0;
    for (int i = 0; i < CASES; i++) {
      double frequencyMhz = between(30, 6000);
      double latitude = between(-60, 60);
      double nearKm = between(0, 150);
      double farKm = nearKm + between(0, 100);
      EmissionBuilder b = randomEmission().mhz(frequencyMhz).priority(PRIORITIES[random.nextInt(PRIORITIES.length)]);
      Emission a = randomEmission().mhz(frequencyMhz).at(latitude, 0).priority(PRIORITIES[random.nextInt(4)]).build();
      Emission bNear = b.at(latitude + nearKm / EmissionBuilder.KM_PER_DEGREE, 0).build();
      Emission bFar = b.at(latitude + farKm / EmissionBuilder.KM_PER_DEGREE, 0).build();

      boolean conflictNear = decides(a, bNear);
      boolean conflictFar = decides(a, bFar);
      assertFalse(conflictFar && !conflictNear, () -> a + " conflicts with " + bFar + " but not with the nearer " + bNear);
      if (conflictNear && !conflictFar) {
        resolvedByDistance++;
      }
      if (assessAgainst(a, bFar).status() == DecisionStatus.CONFLICT) {
        assertEquals(DecisionStatus.CONFLICT, assessAgainst(a, bNear).status());
      }
    }
    assertTrue(resolvedByDistance > 0, "some conflicts were resolved by distance");
  }

  @Test
  void alternativesAreExactlyTheNearestFrequenciesApprovedWithoutPreemption() {
    ModelConstants few = new ModelConstants(6371.0, 150.0, 4.12, 2.0, 32.44, 0.1, 30.0, 45.0, -174.0, 6.0, -6.0, -10.0, 3, 60);
    SpectrumModel small = new SpectrumModel(few);
    int withAlternatives = 0;
    for (int i = 0; i < 100; i++) {
      AllocationIndex active = new AllocationIndex();
      for (int n = 0; n < 150; n++) {
        active.add(new ActiveAllocation("a" + n, "asset", randomEmission().mhz(between(990, 1010))
            .priority(PRIORITIES[random.nextInt(PRIORITIES.length)]).build()));
      }
      double bandLow = between(985, 1015);
      Roe roe = new Roe(List.of(new RestrictedBand(bandLow, bandLow + between(0, 3), Severity.LOW, "r")), List.of(), List.of());
      Emission request = randomEmission().priority(PRIORITIES[random.nextInt(PRIORITIES.length)]).build();

      Assessment assessment = small.assess(request, roe, active);
      if (assessment.status() == DecisionStatus.APPROVED) {
        continue;
      }
      List<Double> expected = new ArrayList<>();
      for (int k = 1; k <= few.alternativeSearchSteps() && expected.size() < few.maxAlternatives(); k++) {
        for (double centre : new double[] {request.frequencyMhz() - k * request.bandwidthMhz(),
            request.frequencyMhz() + k * request.bandwidthMhz()}) {
          Assessment there = small.assess(request.at(centre), roe, active);
          if (expected.size() < few.maxAlternatives() && there.status() == DecisionStatus.APPROVED
              && there.preempted().isEmpty()) {
            expected.add(centre);
          }
        }
      }
      assertEquals(expected, assessment.alternatives(), "for " + request);
      withAlternatives += expected.isEmpty() ? 0 : 1;
    }
    assertTrue(withAlternatives > 10, "alternatives were found in " + withAlternatives + " cases");
  }
}
