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
  /** The input field at fault, for INVALID (null when the refusal is about no single field). */
  private final String field;

  public Refused(Reason reason, String message) {
    this(reason, null, message);
  }

  private Refused(Reason reason, String field, String message) {
    super(message, null, false, false); // an answer, not a fault: no stack trace
    this.reason = reason;
    this.field = field;
  }

  /** A field's value the service cannot take, e.g. an offset past the end of a topic. */
  public static Refused invalid(String field, String message) {
    return new Refused(Reason.INVALID, field, message);
  }

  public String field() {
    return field;
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
