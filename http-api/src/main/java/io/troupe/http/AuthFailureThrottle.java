package io.troupe.http;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts invalid keys per client address on this node and, past
 * {@code troupe.security.auth-failures-per-minute}, refuses keyed requests from that address
 * until its minute ends, before the key is looked up, unless the node knows the key's ids
 * ({@code KnownKeys}): those are checked and served when valid, so nobody can lock out the users
 * behind an address by guessing from it (the {@link Guard} decides).
 * Rate limits count per key, so without this nothing would slow down key guessing, or a flood of
 * made-up user ids each waking a user entity (a journal read). Per node and in memory: an
 * attacker spread over n nodes gets n times the allowance, which still bounds the work. The map
 * is bounded; when full, windows that ended are dropped first.
 */
final class AuthFailureThrottle {

  private static final Duration WINDOW = Duration.ofMinutes(1);
  private static final int MAX_ADDRESSES = 10_000;

  private record Window(long startNanos, int failures) {}

  private final int perMinute;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  AuthFailureThrottle(int perMinute) {
    this.perMinute = perMinute;
  }

  /** Seconds until the address may try again, or 0 when it may now. */
  long retryAfterSeconds(String address) {
    if (perMinute <= 0 || address == null) {
      return 0;
    }
    Window w = windows.get(address);
    long now = System.nanoTime();
    if (w == null || now - w.startNanos() >= WINDOW.toNanos() || w.failures() < perMinute) {
      return 0;
    }
    return Math.max(1, (w.startNanos() + WINDOW.toNanos() - now + 999_999_999L) / 1_000_000_000L);
  }

  void failed(String address) {
    if (perMinute <= 0 || address == null) {
      return;
    }
    long now = System.nanoTime();
    if (windows.size() >= MAX_ADDRESSES) {
      windows.values().removeIf(w -> now - w.startNanos() >= WINDOW.toNanos());
      if (windows.size() >= MAX_ADDRESSES) {
        windows.clear();
      }
    }
    windows.compute(address, (a, w) -> w == null || now - w.startNanos() >= WINDOW.toNanos()
        ? new Window(now, 1) : new Window(w.startNanos(), w.failures() + 1));
  }
}
