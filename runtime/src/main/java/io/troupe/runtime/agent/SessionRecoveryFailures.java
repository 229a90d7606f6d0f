package io.troupe.runtime.agent;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * How often, in a row, the journal of a session could not be replayed on this node: an event that
 * can no longer be deserialized (a bad deploy), or one the event handler throws on. A session
 * whose replay failed {@code troupe.sessions.max-resume-attempts} times is started without replay
 * and parked ({@link Session}), instead of failing its recovery again and again.
 *
 * <p>Per node, and that suffices: a replay that throws does so on every node, and the count only
 * has to stop the loop on the node that runs it (a session that moves starts its count again, and
 * ends parked there too). Bounded: at most {@value #MAX_SESSIONS} sessions, the one least recently
 * counted is forgotten first (and at worst fails its replay a few more times before it is parked).
 *
 * <p>A journal that cannot be reached (its database down, a timeout, the circuit breaker open) is
 * no replay failure: it is not counted, so an outage never parks a session.
 */
public final class SessionRecoveryFailures implements Extension {

  static final int MAX_SESSIONS = 10_000;

  /** {@code count} failed replays in a row, the last one's error message. */
  public record Failures(int count, String lastError) {}

  private final Map<String, Failures> bySession = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
      return size() > MAX_SESSIONS;
    }
  };

  public static SessionRecoveryFailures get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** The failed replays of {@code sessionId} counted on this node, 0 when none. */
  public synchronized Failures of(String sessionId) {
    Failures f = bySession.get(sessionId);
    return f != null ? f : new Failures(0, null);
  }

  /** Counts a failed replay of {@code sessionId}; returns the count so far. */
  synchronized Failures failed(String sessionId, Throwable cause) {
    Failures f = new Failures(of(sessionId).count() + 1, message(cause));
    bySession.put(sessionId, f);
    return f;
  }

  /** The session's journal was replayed: the next failure counts from 1 again. */
  synchronized void replayed(String sessionId) {
    bySession.remove(sessionId);
  }

  /**
   * True when {@code cause} says the events themselves could not be replayed, false when the
   * journal could not be reached (SQL errors, timeouts, an open circuit breaker): those pass.
   */
  static boolean replayError(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.sql.SQLException || t instanceof java.util.concurrent.TimeoutException
          || t instanceof org.apache.pekko.pattern.CircuitBreakerOpenException
          || t.getClass().getSimpleName().equals("RecoveryTimedOut")) {
        return false;
      }
    }
    return true;
  }

  /** The innermost message of {@code cause} (Pekko wraps the error of a replay). */
  static String message(Throwable cause) {
    Throwable t = cause;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  /** Extension id: one registry per ActorSystem. */
  public static final class Id extends ExtensionId<SessionRecoveryFailures> {
    private static final Id INSTANCE = new Id();

    @Override
    public SessionRecoveryFailures createExtension(ActorSystem<?> system) {
      return new SessionRecoveryFailures();
    }
  }
}
