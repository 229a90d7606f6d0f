package io.troupe.agents.spectrum;

/** What the model needs to know of an active allocation. */
public record ActiveAllocation(String allocationId, String assetRid, Emission emission) {}
