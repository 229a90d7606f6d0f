package io.troupe.agents.spectrum;

/** Precedence of a request or allocation, lowest first: ROUTINE < PRIORITY < IMMEDIATE < FLASH. */
public enum Priority {
  ROUTINE, PRIORITY, IMMEDIATE, FLASH;

  /** True when this priority is strictly higher than {@code other}. */
  public boolean outranks(Priority other) {
    return compareTo(other) > 0;
  }
}
