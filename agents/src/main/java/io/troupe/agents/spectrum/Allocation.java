package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;

/**
 * An allocation as the coordinator reports it. {@code endedAt} is set once it is no longer
 * APPROVED. {@code requestedBy} is the API user who requested it (only they or an ADMIN may
 * release it); null for allocations decided before requesters were recorded.
 */
public record Allocation(String allocationId, String theater, String assetRid, Emission emission, String purpose,
                         AllocationStatus status, String decisionId, Instant decidedAt, Instant endedAt,
                         String requestedBy) implements CborSerializable {

  public Allocation(String allocationId, String theater, String assetRid, Emission emission, String purpose,
                    AllocationStatus status, String decisionId, Instant decidedAt, Instant endedAt) {
    this(allocationId, theater, assetRid, emission, purpose, status, decisionId, decidedAt, endedAt, null);
  }

  Allocation ended(AllocationStatus newStatus, Instant at) {
    return new Allocation(allocationId, theater, assetRid, emission, purpose, newStatus, decisionId, decidedAt, at,
        requestedBy);
  }

  ActiveAllocation active() {
    return new ActiveAllocation(allocationId, assetRid, emission);
  }
}
