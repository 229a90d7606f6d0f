package io.troupe.agents.spectrum;

import static io.troupe.agents.spectrum.EmissionBuilder.emission;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each formula of the model against values worked out by hand (to 0.01 dB or 0.01 km). */
class FormulasTest {
  private static final double R = 6371.0;
  private static final double TOLERANCE = 0.01;

  private final SpectrumModel model = new SpectrumModel(ModelConstants.DEFAULT);

  @Test
  void oneDegreeOfLatitudeIs111point19Km() {
    // d = R · Δφ = 6371 · (π / 180) = 6371 · 0.0174533 = 111.19 km
    assertEquals(111.19, SpectrumModel.haversineKm(0, 0, 1, 0, R), TOLERANCE);
    assertEquals(111.19, SpectrumModel.haversineKm(10, 20, 11, 20, R), TOLERANCE);
  }

  @Test
  void oneDegreeOfLongitudeShrinksWithLatitude() {
    // at 60°N: a = cos²60° · sin²(0.5°) = 0.25 · 0.0087265² ⇒ √a = 0.5 · 0.0087265 = 0.00436331
    // d = 2 · 6371 · asin(0.00436331) = 12742 · 0.00436332 = 55.60 km (≈ half of 111.19)
    assertEquals(55.60, SpectrumModel.haversineKm(60, 0, 60, 1, R), TOLERANCE);
    assertEquals(0.0, SpectrumModel.haversineKm(45, 7, 45, 7, R), 1e-12);
  }

  @Test
  void freeSpacePathLoss() {
    // 20·log10(10 km) + 20·log10(1000 MHz) + 32.44 = 20 + 60 + 32.44 = 112.44 dB
    assertEquals(112.44, model.fsplDb(10, 1000), TOLERANCE);
    // 20·log10(111.1949 km) + 20·log10(100 MHz) + 32.44 = 40.92 + 40 + 32.44 = 113.36 dB
    assertEquals(113.36, model.fsplDb(111.1949, 100), TOLERANCE);
  }

  @Test
  void pathLossDistanceNeverBelowOneHundredMetres() {
    // d = max(0.05, 0.1) = 0.1 km: 20·log10(0.1) + 60 + 32.44 = −20 + 60 + 32.44 = 72.44 dB
    assertEquals(72.44, model.fsplDb(0.05, 1000), TOLERANCE);
    assertEquals(72.44, model.fsplDb(0.0, 1000), TOLERANCE);
  }

  @Test
  void rejectionOfOverlappingBandsIsTheShareOfTransmitterPowerOutside() {
    // t: 1000 MHz, 500 kHz ⇒ 999.75–1000.25; r: 1000.25 MHz, 250 kHz ⇒ 1000.125–1000.375
    // overlap = 1000.25 − 1000.125 = 0.125 MHz; R = −10·log10(0.125 / 0.5) = −10·log10(0.25) = 6.02 dB
    Emission t = emission().mhz(1000).khz(500).build();
    Emission r = emission().mhz(1000.25).khz(250).build();
    assertEquals(6.02, model.rejectionDb(t, r), TOLERANCE);
    // reversed, the 250 kHz transmitter keeps half its power in the other band: −10·log10(0.125 / 0.25) = 3.01 dB
    assertEquals(3.01, model.rejectionDb(r, t), TOLERANCE);
  }

  @Test
  void coChannelEqualBandsHaveNoRejection() {
    Emission t = emission().build();
    assertEquals(0.0, model.rejectionDb(t, t), TOLERANCE);
  }

  @Test
  void adjacentBandsCloserThanTheWiderBandwidthAreRejectedBy30Db() {
    // t: 999.75–1000.25 (B = 0.5); r: 1000.5 MHz, 250 kHz ⇒ 1000.375–1000.625
    // g = 1000.375 − 1000.25 = 0.125 < max(0.5, 0.25) = 0.5 ⇒ 30 dB
    Emission t = emission().mhz(1000).khz(500).build();
    assertEquals(30.0, model.rejectionDb(t, emission().mhz(1000.5).khz(250).build()), TOLERANCE);
    // bands that only touch (g = 0) share no spectrum: adjacent, not overlapping
    assertEquals(30.0, model.rejectionDb(t, emission().mhz(1000.375).khz(250).build()), TOLERANCE);
  }

  @Test
  void farBandsAreRejectedBy45Db() {
    // r: 1001 MHz, 250 kHz ⇒ 1000.875–1001.125; g = 1000.875 − 1000.25 = 0.625 ≥ 0.5 ⇒ 45 dB
    Emission t = emission().mhz(1000).khz(500).build();
    assertEquals(45.0, model.rejectionDb(t, emission().mhz(1001).khz(250).build()), TOLERANCE);
    // g exactly max(B_t, B_r): r 1000.875 MHz ⇒ 1000.75–1001.0, g = 0.5, not < 0.5 ⇒ 45 dB
    assertEquals(45.0, model.rejectionDb(t, emission().mhz(1000.875).khz(250).build()), TOLERANCE);
  }

  @Test
  void thermalNoiseOverTheReceiverBandwidth() {
    // 25 kHz: −174 + 10·log10(25 000) + 6 = −174 + 43.98 + 6 = −124.02 dBm
    assertEquals(-124.02, model.noiseDbm(emission().khz(25).build()), TOLERANCE);
    // 1 MHz: −174 + 10·log10(1 000 000) + 6 = −174 + 60 + 6 = −108.00 dBm
    assertEquals(-108.00, model.noiseDbm(emission().khz(1000).build()), TOLERANCE);
  }

  @Test
  void interferenceToNoiseForOneCoChannelPair() {
    // Both 1000 MHz, 1 MHz wide, one degree of latitude apart (111.19 km); transmitter 30 dBm.
    // FSPL = 20·log10(111.19) + 20·log10(1000) + 32.44 = 40.92 + 60 + 32.44 = 133.36 dB
    // R = −10·log10(1 / 1) = 0; I = 30 − 133.36 − 0 = −103.36 dBm
    // N = −174 + 60 + 6 = −108.00 dBm; I − N = −103.36 + 108 = 4.64 dB
    Emission t = emission().dbm(30).at(0, 0).build();
    Emission r = emission().dbm(-20).at(1, 0).build();
    assertEquals(4.64, model.interferenceToNoiseDb(t, r), TOLERANCE);
    // the reverse direction differs only by the power: −20 − 133.36 + 108 = −45.36 dB
    assertEquals(-45.36, model.interferenceToNoiseDb(r, t), TOLERANCE);
    assertTrue(model.conflicts(t, r));
  }

  @Test
  void interferenceIntoANarrowAdjacentReceiver() {
    // t: 1000 MHz, 1 MHz, 40 dBm at (0, 0); r: 1000.6 MHz, 25 kHz, 10 km north.
    // r's band 1000.5875–1000.6125 vs t's 999.5–1000.5: g = 0.0875 < 1 ⇒ R = 30 dB
    // FSPL = 20·log10(10) + 60 + 32.44 = 112.44; I = 40 − 112.44 − 30 = −102.44 dBm
    // N = −174 + 43.98 + 6 = −124.02; I − N = −102.44 + 124.02 = 21.58 dB
    Emission t = emission().dbm(40).build();
    Emission r = emission().mhz(1000.6).khz(25).northKm(10).build();
    assertEquals(21.58, model.interferenceToNoiseDb(t, r), TOLERANCE);
  }

  @Test
  void immediateOrFlashReceiversConflictFromMinus10Db() {
    // As the co-channel pair above but A transmits 18 dBm and B 0 dBm:
    // A → B: 18 − 133.36 + 108 = −7.36 dB (between −10 and −6)
    // B → A: 0 − 133.36 + 108 = −25.36 dB (below both thresholds)
    EmissionBuilder a = emission().dbm(18).at(0, 0);
    EmissionBuilder b = emission().dbm(0).at(1, 0);
    assertEquals(-7.36, model.interferenceToNoiseDb(a.build(), b.build()), TOLERANCE);
    assertEquals(-25.36, model.interferenceToNoiseDb(b.build(), a.build()), TOLERANCE);

    assertFalse(model.conflicts(a.build(), b.build()), "−7.36 dB does not pass −6 dB for a ROUTINE receiver");
    assertFalse(model.conflicts(a.build(), b.priority(Priority.PRIORITY).build()));
    assertTrue(model.conflicts(a.build(), b.priority(Priority.IMMEDIATE).build()), "−7.36 dB passes −10 dB");
    assertTrue(model.conflicts(a.build(), b.priority(Priority.FLASH).build()));
    // it is the receiver's priority that counts: a FLASH A receives only −25.36 dB
    assertFalse(model.conflicts(a.priority(Priority.FLASH).build(), b.priority(Priority.ROUTINE).build()));
  }
}
