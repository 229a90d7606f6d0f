package io.troupe.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * Reads one setting by its full path and checks its range, so a bad value stops the node at
 * start with a message naming the key (and the file and line it came from). Only the settings
 * records call these.
 */
public final class ConfigChecks {

  private ConfigChecks() {}

  /** A whole number of at least 1. */
  public static int positiveInt(Config config, String path) {
    return atLeast(config, path, 1);
  }

  /** A whole number of at least {@code min}. */
  public static int atLeast(Config config, String path, int min) {
    int value = config.getInt(path);
    if (value < min) {
      throw bad(config, path, "must be at least " + min + ", was " + value);
    }
    return value;
  }

  /** A duration longer than zero. */
  public static Duration positiveDuration(Config config, String path) {
    Duration value = config.getDuration(path);
    if (value.isNegative() || value.isZero()) {
      throw bad(config, path, "must be longer than zero, was " + value);
    }
    return value;
  }

  /** A size in bytes (e.g. 1MiB) of at least 1 and at most {@link Integer#MAX_VALUE}. */
  public static int positiveBytes(Config config, String path) {
    long value = config.getBytes(path);
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw bad(config, path, "must be between 1 byte and 2GiB, was " + value);
    }
    return (int) value;
  }

  /** A failure naming {@code path} and where its value came from. */
  public static ConfigException bad(Config config, String path, String problem) {
    return new ConfigException.BadValue(config.getValue(path).origin(), path, problem);
  }
}
