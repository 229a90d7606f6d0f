package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;

/**
 * An asset's request for spectrum: who asks, what emission, and why (purpose may be null).
 * {@code requestKey} (may be null; absent in events stored before it existed) makes a retried
 * request return the first decision instead of being decided again: a tool passes its call id,
 * an HTTP client its Idempotency-Key.
 */
public record AllocationRequest(String assetRid, Emission emission, String purpose, String requestKey)
    implements CborSerializable {

  public AllocationRequest(String assetRid, Emission emission, String purpose) {
    this(assetRid, emission, purpose, null);
  }
}
