package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;

/** An allocation as the coordinator reports it. {@code endedAt} is set once it is no longer APPROVED. */
public record Allocation(String allocationId, String theater, String assetRid, Emission emission, String purpose,
                         AllocationStatus status, String decisionId, Instant decidedAt, Instant endedAt)
    implements CborSerializable {

  Allocation ended(AllocationStatus newStatus, Instant at) {
    return new Allocation(allocationId, theater, assetRid, emission, purpose, newStatus, decisionId, decidedAt, at);
  }

  ActiveAllocation active() {
    return new ActiveAllocation(allocationId, assetRid, emission);
  }
}
