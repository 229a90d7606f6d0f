package io.troupe.http;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/** Waits for a condition by polling it until a deadline, so no test sleeps a guessed time. */
final class Eventually {

  private static final Duration POLL_INTERVAL = Duration.ofMillis(100);

  private Eventually() {}

  /** How long lists read from the read side's tables may trail the entities, in tests. */
  static final Duration READ_SIDE = Duration.ofSeconds(20);

  /**
   * Runs {@code assertions} until they hold, for reads of read-side tables, which trail the
   * journal by the projections' polling interval: the same assertions, once the read side caught up.
   */
  static void holds(String what, Runnable assertions) {
    await(READ_SIDE, what, () -> {
      assertions.run();
      return Optional.of(Boolean.TRUE);
    });
  }

  /** The first value {@code probe} yields within {@code timeout}; fails naming {@code what} otherwise. */
  static <T> T await(Duration timeout, String what, Supplier<Optional<T>> probe) {
    Instant deadline = Instant.now().plus(timeout);
    Throwable lastFailure = null;
    while (true) {
      try {
        Optional<T> value = probe.get();
        if (value.isPresent()) {
          return value.get();
        }
      } catch (RuntimeException | AssertionError e) {
        lastFailure = e;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + timeout + ": " + what, lastFailure);
      }
      try {
        Thread.sleep(POLL_INTERVAL.toMillis()); // poll interval, not a guess at readiness
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }
}
