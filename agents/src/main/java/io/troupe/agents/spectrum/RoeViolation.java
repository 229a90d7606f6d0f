package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;

/** One broken rule: {@code violationType} is RESTRICTED_BAND, RESTRICTED_ZONE or POWER_LIMIT. */
public record RoeViolation(String violationType, Severity severity, String description) implements CborSerializable {
  public static final String RESTRICTED_BAND = "RESTRICTED_BAND";
  public static final String RESTRICTED_ZONE = "RESTRICTED_ZONE";
  public static final String POWER_LIMIT = "POWER_LIMIT";
}
