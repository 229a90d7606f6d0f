package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;

/**
 * The physical facts of a transmission the model decides on: where in the spectrum, how strong,
 * where on Earth, and when (the half-open window [start, end)).
 */
public record Emission(
    double frequencyMhz,
    double bandwidthKhz,
    double powerDbm,
    double latitude,
    double longitude,
    double antennaHeightM,
    Instant start,
    Instant end,
    Priority priority) implements CborSerializable {

  public double bandwidthMhz() {
    return bandwidthKhz / 1000.0;
  }

  /** Lower edge of the occupied band [f − B/2, f + B/2], MHz. */
  public double lowMhz() {
    return frequencyMhz - bandwidthMhz() / 2;
  }

  /** Upper edge of the occupied band, MHz. */
  public double highMhz() {
    return frequencyMhz + bandwidthMhz() / 2;
  }

  /** The same emission moved to another centre frequency. */
  public Emission at(double centreMhz) {
    return new Emission(centreMhz, bandwidthKhz, powerDbm, latitude, longitude, antennaHeightM, start, end, priority);
  }
}
