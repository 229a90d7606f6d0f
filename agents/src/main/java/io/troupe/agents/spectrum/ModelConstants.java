package io.troupe.agents.spectrum;

import com.typesafe.config.Config;

/**
 * Every constant of the deconfliction model, so decisions are reproducible and tunable
 * (troupe.deconfliction.model in the agents module's reference.conf). Defaults are the documented model's.
 */
public record ModelConstants(
    double earthRadiusKm,
    double maxCandidateDistanceKm,
    double radioHorizonFactor,
    double candidateGapFactor,
    double fsplConstantDb,
    double minPathDistanceKm,
    double adjacentRejectionDb,
    double farRejectionDb,
    double thermalNoiseDbmPerHz,
    double noiseFigureDb,
    double conflictThresholdDb,
    double highPriorityThresholdDb,
    int maxAlternatives,
    int alternativeSearchSteps) {

  public static final ModelConstants DEFAULT = new ModelConstants(
      6371.0, 150.0, 4.12, 2.0, 32.44, 0.1, 30.0, 45.0, -174.0, 6.0, -6.0, -10.0, 3, 1000);

  public static ModelConstants from(Config c) {
    return new ModelConstants(
        c.getDouble("earth-radius-km"),
        c.getDouble("max-candidate-distance-km"),
        c.getDouble("radio-horizon-factor"),
        c.getDouble("candidate-gap-factor"),
        c.getDouble("fspl-constant-db"),
        c.getDouble("min-path-distance-km"),
        c.getDouble("adjacent-rejection-db"),
        c.getDouble("far-rejection-db"),
        c.getDouble("thermal-noise-dbm-per-hz"),
        c.getDouble("noise-figure-db"),
        c.getDouble("conflict-threshold-db"),
        c.getDouble("high-priority-threshold-db"),
        c.getInt("max-alternatives"),
        c.getInt("alternative-search-steps"));
  }
}
