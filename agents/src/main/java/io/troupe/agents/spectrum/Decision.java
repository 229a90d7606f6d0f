package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * The coordinator's answer to one request. {@code allocationId} is null unless APPROVED;
 * {@code preempted} lists the allocations an APPROVED request displaced. {@code wouldPreempt} is
 * set only while PENDING_APPROVAL: the allocations the request would preempt once approved (never
 * null; empty in decisions stored before requests could be held).
 */
public record Decision(String decisionId, String theater, String allocationId, DecisionStatus status,
                       List<Conflict> conflicts, List<RoeViolation> roeViolations, List<String> preempted,
                       List<Double> alternatives, String reasoning, Instant decidedAt, List<String> wouldPreempt)
    implements CborSerializable {

  public Decision {
    wouldPreempt = wouldPreempt == null ? List.of() : List.copyOf(wouldPreempt);
  }

  /** A decision that holds nothing for approval. */
  public Decision(String decisionId, String theater, String allocationId, DecisionStatus status,
                  List<Conflict> conflicts, List<RoeViolation> roeViolations, List<String> preempted,
                  List<Double> alternatives, String reasoning, Instant decidedAt) {
    this(decisionId, theater, allocationId, status, conflicts, roeViolations, preempted, alternatives, reasoning,
        decidedAt, List.of());
  }
}
