package io.troupe.runtime.broker;

import java.util.Optional;
import java.util.regex.Pattern;

/** The rule for topic and subscriber names: 1–128 characters of {@code [A-Za-z0-9._-]}. */
public final class TopicNames {

  public static final int MAX_LENGTH = 128;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");

  private TopicNames() {}

  /** Why {@code name} is not a valid name, or empty when it is. */
  public static Optional<String> problem(String name) {
    if (name == null || name.isEmpty()) {
      return Optional.of("must not be empty");
    }
    if (name.length() > MAX_LENGTH) {
      return Optional.of("must be at most " + MAX_LENGTH + " characters (was " + name.length() + ")");
    }
    if (!VALID.matcher(name).matches()) {
      return Optional.of("may contain only letters, digits, '.', '_' and '-'");
    }
    return Optional.empty();
  }
}
