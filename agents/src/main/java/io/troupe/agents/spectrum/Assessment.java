package io.troupe.agents.spectrum;

import java.util.List;

/**
 * What the model concludes about one request against a theater's rules and active allocations.
 * {@code preempted} lists the allocations an APPROVED request displaces; {@code alternatives}
 * (for DENIED and CONFLICT) are centre frequencies, MHz, nearest first.
 */
public record Assessment(DecisionStatus status, List<RoeViolation> violations, List<Conflict> conflicts,
                         List<String> preempted, List<Double> alternatives, String reasoning) {}
