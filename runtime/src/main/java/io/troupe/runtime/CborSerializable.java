package io.troupe.runtime;

/**
 * Marker for every command, reply, event and snapshot that crosses nodes or is stored. It is
 * bound to Jackson CBOR in {@code serialization.conf}, so nothing falls back to Java
 * serialization (which Pekko disables) and stored events stay readable as classes evolve.
 */
public interface CborSerializable {}
