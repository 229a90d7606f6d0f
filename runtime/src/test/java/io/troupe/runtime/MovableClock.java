package io.troupe.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock for tests that runs with real time and can be moved forward: {@link #advance} makes
 * an expiry, a deadline or a period due at once instead of waiting for it. Thread-safe; it never
 * goes back, so what the node decided before a move stays decided.
 */
public final class MovableClock extends Clock {

  private final Clock base;
  private final AtomicLong offsetNanos;

  public MovableClock() {
    this(Clock.systemUTC(), new AtomicLong());
  }

  private MovableClock(Clock base, AtomicLong offsetNanos) {
    this.base = base;
    this.offsetNanos = offsetNanos;
  }

  /** Moves the clock forward by {@code by} (not negative). */
  public void advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("a movable clock only moves forward: " + by);
    }
    offsetNanos.addAndGet(by.toNanos());
  }

  @Override
  public Instant instant() {
    return base.instant().plusNanos(offsetNanos.get());
  }

  @Override
  public ZoneId getZone() {
    return base.getZone();
  }

  /** The same moving time seen in another zone: moving either moves both. */
  @Override
  public Clock withZone(ZoneId zone) {
    return zone.equals(base.getZone()) ? this : new MovableClock(base.withZone(zone), offsetNanos);
  }

  @Override
  public String toString() {
    return "MovableClock[" + base + " + " + Duration.ofNanos(offsetNanos.get()) + "]";
  }
}
