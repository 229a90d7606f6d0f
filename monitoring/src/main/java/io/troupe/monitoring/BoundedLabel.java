package io.troupe.monitoring;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a value that clients choose (a theater or model name) into a label value from a bounded
 * set. Values the node knows from its configuration (the models of the pricing table, the built-in
 * agents) are always their own label and do not use up the budget; of all other values, the first
 * {@code max} distinct ones are kept as they are and every later one is reported as "other". So a
 * client cannot grow the metric's series without bound, nor, by sending junk first, push the real
 * values into "other".
 */
public final class BoundedLabel {

  public static final String OTHER = "other";
  private final int max;
  private final Set<String> known = ConcurrentHashMap.newKeySet();
  private final Set<String> admitted = ConcurrentHashMap.newKeySet();

  public BoundedLabel(int max) {
    this.max = max;
  }

  /** Values from configuration: their own label from now on, outside the budget. */
  public BoundedLabel admitKnown(Collection<String> values) {
    values.stream().filter(v -> v != null && !v.isBlank()).forEach(known::add);
    return this;
  }

  public String of(String value) {
    if (known.contains(value) || admitted.contains(value)) {
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
