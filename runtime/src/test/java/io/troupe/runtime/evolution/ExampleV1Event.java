package io.troupe.runtime.evolution;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;

/**
 * The worked example of EVOLUTION.md, as first released: an event a journal holds. It is renamed
 * and gains a field in the next commit; its stored bytes stay under
 * {@code src/test/resources/evolution-example/v1/}.
 */
public record ExampleV1Event(String topic, long offset, String content, Instant at) implements CborSerializable {}
