package io.troupe.agents.spectrum;

import java.time.Duration;
import java.time.Instant;

/**
 * Emissions for tests: 1000 MHz, 1 MHz wide, 30 dBm, at (0, 0), 10 m antenna, ROUTINE, during
 * the hour from {@link #T0}, unless a test says otherwise.
 */
final class EmissionBuilder {
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  /** Kilometres per degree of latitude on the model's Earth: 6371 · π / 180. */
  static final double KM_PER_DEGREE = 6371.0 * Math.PI / 180;

  private double frequencyMhz = 1000;
  private double bandwidthKhz = 1000;
  private double powerDbm = 30;
  private double latitude;
  private double longitude;
  private double antennaHeightM = 10;
  private Instant start = T0;
  private Instant end = T0.plus(Duration.ofHours(1));
  private Priority priority = Priority.ROUTINE;

  static EmissionBuilder emission() {
    return new EmissionBuilder();
  }

  EmissionBuilder mhz(double value) {
    frequencyMhz = value;
    return this;
  }

  EmissionBuilder khz(double value) {
    bandwidthKhz = value;
    return this;
  }

  EmissionBuilder dbm(double value) {
    powerDbm = value;
    return this;
  }

  EmissionBuilder at(double lat, double lon) {
    latitude = lat;
    longitude = lon;
    return this;
  }

  /** Due north of (0, 0) by this many kilometres along the meridian. */
  EmissionBuilder northKm(double km) {
    return at(km / KM_PER_DEGREE, 0);
  }

  EmissionBuilder heightM(double value) {
    antennaHeightM = value;
    return this;
  }

  EmissionBuilder window(Instant from, Instant until) {
    start = from;
    end = until;
    return this;
  }

  EmissionBuilder priority(Priority value) {
    priority = value;
    return this;
  }

  Emission build() {
    return new Emission(frequencyMhz, bandwidthKhz, powerDbm, latitude, longitude, antennaHeightM, start, end, priority);
  }
}
