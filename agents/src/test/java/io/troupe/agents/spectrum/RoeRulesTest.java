package io.troupe.agents.spectrum;

import static io.troupe.agents.spectrum.EmissionBuilder.emission;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.agents.spectrum.Roe.PowerLimit;
import io.troupe.agents.spectrum.Roe.RestrictedBand;
import io.troupe.agents.spectrum.Roe.RestrictedZone;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Step 1: each Rules-of-Engagement rule, inside, outside and on its boundary. */
class RoeRulesTest {
  private final SpectrumModel model = new SpectrumModel(ModelConstants.DEFAULT);

  private static Roe bands(RestrictedBand... bands) {
    return new Roe(List.of(bands), List.of(), List.of());
  }

  private static Roe zones(RestrictedZone... zones) {
    return new Roe(List.of(), List.of(zones), List.of());
  }

  private static Roe limits(PowerLimit... limits) {
    return new Roe(List.of(), List.of(), List.of(limits));
  }

  private List<RoeViolation> check(EmissionBuilder e, Roe roe) {
    return model.roeViolations(e.build(), roe);
  }

  @Test
  void occupiedBandInsideARestrictedBandIsAViolation() {
    Roe roe = bands(new RestrictedBand(2400, 2483.5, Severity.HIGH, "ISM band reserved for the airfield"));
    List<RoeViolation> violations = check(emission().mhz(2450).khz(1000), roe);

    assertEquals(1, violations.size());
    RoeViolation v = violations.get(0);
    assertEquals(RoeViolation.RESTRICTED_BAND, v.violationType());
    assertEquals(Severity.HIGH, v.severity());
    assertEquals("Occupied band 2449.5–2450.5 MHz overlaps restricted band 2400–2483.5 MHz: "
        + "ISM band reserved for the airfield.", v.description());
  }

  @Test
  void aRequestWiderThanTheRestrictedBandAroundItIsAViolation() {
    // 2450 MHz, 200 MHz wide ⇒ 2350–2550 MHz, which contains all of 2400–2483.5
    Roe roe = bands(new RestrictedBand(2400, 2483.5, Severity.LOW, null));
    assertEquals(1, check(emission().mhz(2450).khz(200_000), roe).size());
  }

  @Test
  void bandEdgesThatTouchCountAsOverlap() {
    // 2399.5 MHz, 1 MHz wide ⇒ 2399.0–2400.0: its upper edge touches the restricted 2400.0
    Roe roe = bands(new RestrictedBand(2400, 2483.5, Severity.MEDIUM, "reserved"));
    assertEquals(1, check(emission().mhz(2399.5).khz(1000), roe).size());
    // and from above: 2484.0 MHz ⇒ 2483.5–2484.5 touches 2483.5
    assertEquals(1, check(emission().mhz(2484).khz(1000), roe).size());
  }

  @Test
  void bandsThatDoNotMeetAreNoViolation() {
    Roe roe = bands(new RestrictedBand(2400, 2483.5, Severity.HIGH, "reserved"));
    // 2399.0–2399.99 ends 10 kHz short of 2400
    assertTrue(check(emission().mhz(2399.495).khz(990), roe).isEmpty());
    assertTrue(check(emission().mhz(2490).khz(1000), roe).isEmpty());
  }

  @Test
  void aPositionWithinTheZoneRadiusIsAViolation() {
    Roe roe = zones(new RestrictedZone(0, 0, 50, Severity.CRITICAL, "hospital"));
    List<RoeViolation> violations = check(emission().northKm(30), roe);

    assertEquals(1, violations.size());
    RoeViolation v = violations.get(0);
    assertEquals(RoeViolation.RESTRICTED_ZONE, v.violationType());
    assertEquals(Severity.CRITICAL, v.severity());
    assertEquals("Position is 30.00 km from the centre of the restricted zone at (0.0, 0.0), within its 50.00 km radius: "
        + "hospital.", v.description());
  }

  @Test
  void aPositionExactlyOnTheZoneRadiusIsAViolation() {
    // one degree of latitude is 111.19492… km: a zone of exactly that radius reaches (1, 0)
    double radiusKm = SpectrumModel.haversineKm(1, 0, 0, 0, 6371.0);
    assertEquals(1, check(emission().at(1, 0), zones(new RestrictedZone(0, 0, radiusKm, Severity.LOW, "edge"))).size());
    // 111.19 km is about 5 m short of it
    assertTrue(check(emission().at(1, 0), zones(new RestrictedZone(0, 0, 111.19, Severity.LOW, "edge"))).isEmpty());
  }

  @Test
  void aPositionOutsideTheZoneIsNoViolation() {
    assertTrue(check(emission().northKm(51), zones(new RestrictedZone(0, 0, 50, Severity.HIGH, "camp"))).isEmpty());
  }

  @Test
  void powerAboveTheLimitForTheCentreFrequencyIsAViolation() {
    Roe roe = limits(new PowerLimit(400, 500, 40, Severity.MEDIUM));
    List<RoeViolation> violations = check(emission().mhz(450).dbm(40.5), roe);

    assertEquals(1, violations.size());
    RoeViolation v = violations.get(0);
    assertEquals(RoeViolation.POWER_LIMIT, v.violationType());
    assertEquals(Severity.MEDIUM, v.severity());
    assertEquals("Power 40.5 dBm exceeds the 40.0 dBm limit for centre frequencies 400–500 MHz (centre 450 MHz).",
        v.description());
  }

  @Test
  void powerEqualToTheLimitIsAllowed() {
    assertTrue(check(emission().mhz(450).dbm(40), limits(new PowerLimit(400, 500, 40, Severity.LOW))).isEmpty());
  }

  @Test
  void theLimitRangeIsClosedAndAppliesToTheCentreOnly() {
    Roe roe = limits(new PowerLimit(400, 500, 40, Severity.LOW));
    assertEquals(1, check(emission().mhz(500).dbm(41), roe).size(), "the centre on the range's edge counts");
    assertEquals(1, check(emission().mhz(400).dbm(41), roe).size());
    // 500.25 MHz, 1 MHz wide, occupies 499.75–500.75 but its centre is outside 400–500
    assertTrue(check(emission().mhz(500.25).khz(1000).dbm(60), roe).isEmpty());
  }

  @Test
  void everyBrokenRuleIsReportedBandsThenZonesThenPower() {
    Roe roe = new Roe(
        List.of(new RestrictedBand(440, 460, Severity.HIGH, "radar"), new RestrictedBand(900, 950, Severity.LOW, "gsm")),
        List.of(new RestrictedZone(0, 0, 10, Severity.CRITICAL, "base")),
        List.of(new PowerLimit(400, 500, 20, Severity.MEDIUM)));
    List<RoeViolation> violations = check(emission().mhz(450).dbm(30), roe);

    assertEquals(List.of(RoeViolation.RESTRICTED_BAND, RoeViolation.RESTRICTED_ZONE, RoeViolation.POWER_LIMIT),
        violations.stream().map(RoeViolation::violationType).toList());
    assertEquals(List.of(Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM),
        violations.stream().map(RoeViolation::severity).toList());
  }

  @Test
  void noRulesNoViolations() {
    assertTrue(check(emission(), Roe.NONE).isEmpty());
  }
}
