package io.troupe.runtime.llm;

import io.troupe.runtime.CborSerializable;

/** Tokens a call consumed, as the provider reported them. */
public record Usage(long inputTokens, long outputTokens) implements CborSerializable {
  public static final Usage NONE = new Usage(0, 0);
}
