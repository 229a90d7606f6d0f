package io.troupe.agents.spectrum;

/** The answer to a request: APPROVED, DENIED (by the ROE) or CONFLICT (with higher or equal priority users). */
public enum DecisionStatus { APPROVED, DENIED, CONFLICT }
