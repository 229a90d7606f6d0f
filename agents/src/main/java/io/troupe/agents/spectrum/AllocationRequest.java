package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;

/** An asset's request for spectrum: who asks, what emission, and why (purpose may be null). */
public record AllocationRequest(String assetRid, Emission emission, String purpose) implements CborSerializable {}
