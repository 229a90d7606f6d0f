package io.troupe.runtime.evolution;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;

/**
 * The worked example of EVOLUTION.md, today: {@code ExampleV1Event} renamed, with a field added.
 * Journals written before hold the old class name and no {@code priority};
 * {@link ExampleRenamedEventMigration} reads them as this class with {@link #DEFAULT_PRIORITY}.
 */
public record ExampleRenamedEvent(String topic, long offset, String content, Instant at, int priority)
    implements CborSerializable {

  /** What events stored before {@code priority} existed read as. */
  public static final int DEFAULT_PRIORITY = 3;
}
