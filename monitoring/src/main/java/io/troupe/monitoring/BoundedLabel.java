package io.troupe.monitoring;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a value that clients choose (a theater name) into a label value from a bounded set: the
 * first {@code max} distinct values are kept as they are, every later one is reported as
 * "other", so a client cannot grow the metric's series without bound.
 */
public final class BoundedLabel {

  public static final String OTHER = "other";
  private final int max;
  private final Set<String> admitted = ConcurrentHashMap.newKeySet();

  public BoundedLabel(int max) {
    this.max = max;
  }

  public String of(String value) {
    if (admitted.contains(value)) {
      return value;
    }
    synchronized (admitted) {
      if (admitted.size() < max) {
        admitted.add(value);
        return value;
      }
    }
    return OTHER;
  }
}
