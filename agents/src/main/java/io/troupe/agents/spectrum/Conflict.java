package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;

/** An active allocation a request would interfere with (or suffer from); the larger I/N of the two directions. */
public record Conflict(String allocationId, String assetRid, Priority priority, double interferenceToNoiseDb)
    implements CborSerializable {}
