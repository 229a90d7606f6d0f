package io.troupe.agents.spectrum;

import static io.troupe.agents.spectrum.EmissionBuilder.T0;
import static io.troupe.agents.spectrum.EmissionBuilder.emission;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Step 2: which active allocations are candidates, by time, frequency and distance. */
class CandidatesTest {
  private static final Instant T1 = T0.plus(Duration.ofHours(1));
  private static final Instant T2 = T0.plus(Duration.ofHours(2));

  private final SpectrumModel model = new SpectrumModel(ModelConstants.DEFAULT);

  @Test
  void windowsThatOnlyTouchDoNotOverlap() {
    // [T0, T1) and [T1, T2) share no instant
    Emission first = emission().window(T0, T1).build();
    Emission second = emission().window(T1, T2).build();
    assertFalse(model.isCandidate(first, second));
    assertFalse(model.isCandidate(second, first));
  }

  @Test
  void windowsSharingOneSecondOverlap() {
    Emission first = emission().window(T0, T1.plusSeconds(1)).build();
    Emission second = emission().window(T1, T2).build();
    assertTrue(model.isCandidate(first, second));
    assertTrue(model.isCandidate(second, first));
  }

  @Test
  void aWindowInsideAnotherOverlaps() {
    assertTrue(model.isCandidate(emission().window(T0, T2).build(), emission().window(T1, T1.plusSeconds(60)).build()));
  }

  @Test
  void edgeGapMustBeBelowTwiceTheWiderBandwidth() {
    // both 1 MHz wide: g < 2 · 1 = 2 MHz. 1000 vs 1002.9: g = 1002.4 − 1000.5 = 1.9 MHz
    Emission a = emission().mhz(1000).khz(1000).build();
    assertTrue(model.isCandidate(a, emission().mhz(1002.9).khz(1000).build()));
    // 1000 vs 1003.1: g = 2.1 MHz
    assertFalse(model.isCandidate(a, emission().mhz(1003.1).khz(1000).build()));
    // 1000 vs 1003: g = 1002.5 − 1000.5 = 2 MHz, not < 2
    assertFalse(model.isCandidate(a, emission().mhz(1003).khz(1000).build()));
  }

  @Test
  void theWiderOfTheTwoBandwidthsSetsTheGapLimit() {
    // 1 MHz vs 25 kHz at 1001.5: g = 1001.4875 − 1000.5 = 0.9875 < 2 · 1 MHz
    Emission wide = emission().mhz(1000).khz(1000).build();
    Emission narrow = emission().mhz(1001.5).khz(25).build();
    assertTrue(model.isCandidate(wide, narrow));
    assertTrue(model.isCandidate(narrow, wide));
    // two 25 kHz emissions the same 1.5 MHz apart: g = 1.475 ≥ 2 · 0.025
    assertFalse(model.isCandidate(emission().mhz(1000).khz(25).build(), narrow));
  }

  @Test
  void lowAntennasAreLimitedByTheRadioHorizon() {
    // both 10 m: 4.12 · (√10 + √10) = 4.12 · 6.3246 = 26.06 km
    Emission here = emission().heightM(10).build();
    assertTrue(model.isCandidate(here, emission().heightM(10).northKm(26.0).build()));
    assertFalse(model.isCandidate(here, emission().heightM(10).northKm(26.1).build()));
  }

  @Test
  void aTallerAntennaOnOneSideExtendsTheHorizon() {
    // 10 m and 100 m: 4.12 · (3.1623 + 10) = 54.23 km
    Emission here = emission().heightM(10).build();
    assertTrue(model.isCandidate(here, emission().heightM(100).northKm(54.0).build()));
    assertFalse(model.isCandidate(here, emission().heightM(100).northKm(54.5).build()));
  }

  @Test
  void groundLevelAntennasHaveNoHorizonAtAll() {
    // 0 m and 0 m: 4.12 · 0 = 0 km, so only co-located assets are candidates
    Emission here = emission().heightM(0).build();
    assertTrue(model.isCandidate(here, emission().heightM(0).build()));
    assertFalse(model.isCandidate(here, emission().heightM(0).northKm(0.01).build()));
  }

  @Test
  void tallAntennasAreCappedAt150Km() {
    // both 1000 m: 4.12 · (31.62 + 31.62) = 260.57 km, capped at 150 km
    Emission here = emission().heightM(1000).build();
    assertTrue(model.isCandidate(here, emission().heightM(1000).northKm(149.9).build()));
    assertTrue(model.isCandidate(here, emission().heightM(1000).northKm(149.999).build()));
    assertFalse(model.isCandidate(here, emission().heightM(1000).northKm(150.1).build()));
  }
}
