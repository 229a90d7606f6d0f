package io.troupe.runtime.journal;

/** An event of one persistent entity with its sequence number. */
public record Sequenced<E>(long seqNr, E event) {}
