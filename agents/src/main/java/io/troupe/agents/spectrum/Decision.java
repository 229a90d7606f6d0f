package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;
import java.util.List;

/** The coordinator's answer to one request. {@code allocationId} is null unless APPROVED. */
public record Decision(String decisionId, String theater, String allocationId, DecisionStatus status,
                       List<Conflict> conflicts, List<RoeViolation> roeViolations, List<String> preempted,
                       List<Double> alternatives, String reasoning, Instant decidedAt) implements CborSerializable {}
