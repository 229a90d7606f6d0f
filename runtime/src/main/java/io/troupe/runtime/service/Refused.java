package io.troupe.runtime.service;

/**
 * An application service's "no": the request is understood and refused for a reason the caller
 * can act on. Doors translate it (HTTP: 404/409/403/400 problem+json; tools: an error result the
 * model reads), so every door says the same thing for the same refusal.
 */
public final class Refused extends RuntimeException {

  /** Why, in the terms every door maps from. */
  public enum Reason { NOT_FOUND, CONFLICT, FORBIDDEN, INVALID }

  private final Reason reason;

  public Refused(Reason reason, String message) {
    super(message, null, false, false); // an answer, not a fault: no stack trace
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  public static Refused notFound(String message) {
    return new Refused(Reason.NOT_FOUND, message);
  }

  public static Refused conflict(String message) {
    return new Refused(Reason.CONFLICT, message);
  }

  public static Refused forbidden(String message) {
    return new Refused(Reason.FORBIDDEN, message);
  }
}
