package io.troupe.agents.spectrum;

/** How serious a Rules-of-Engagement violation is. */
public enum Severity { LOW, MEDIUM, HIGH, CRITICAL }
