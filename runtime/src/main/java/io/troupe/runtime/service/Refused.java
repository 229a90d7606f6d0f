package io.troupe.runtime.service;

/**
 * An application service's "no": the request is understood and refused for a reason the caller
 * can act on. Doors translate it (HTTP: 404/409/403/400 problem+json; tools: an error result the
 * model reads), so every door says the same thing for the same refusal.
 */
public final class Refused extends RuntimeException {

  /** Why, in the terms every door maps from. */
  public enum Reason {
    NOT_FOUND, CONFLICT, FORBIDDEN, INVALID,
    /** Over a limit that frees up by itself (a quota of things running at once): retry later (HTTP 429). */
    TOO_MANY,
    /** What was asked is too busy at this moment, whoever asks (not a per-user limit): retry shortly (HTTP 503). */
    BUSY
  }

  private final Reason reason;
  /** The input field at fault, for INVALID (null when the refusal is about no single field). */
  private final String field;
  /** For TOO_MANY and BUSY: whole seconds after which trying again may succeed. */
  private final long retryAfterSeconds;

  public Refused(Reason reason, String message) {
    this(reason, null, message, 0);
  }

  private Refused(Reason reason, String field, String message, long retryAfterSeconds) {
    super(message, null, false, false); // an answer, not a fault: no stack trace
    this.reason = reason;
    this.field = field;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Over a limit that frees up by itself; {@code retryAfterSeconds} (at least 1) says when to try again. */
  public static Refused tooMany(String message, long retryAfterSeconds) {
    return new Refused(Reason.TOO_MANY, null, message, Math.max(1, retryAfterSeconds));
  }

  /** Too busy now, whoever asks; {@code retryAfterSeconds} (at least 1) says when to try again. */
  public static Refused busy(String message, long retryAfterSeconds) {
    return new Refused(Reason.BUSY, null, message, Math.max(1, retryAfterSeconds));
  }

  /** For TOO_MANY and BUSY: whole seconds after which trying again may succeed. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** A field's value the service cannot take, e.g. an offset past the end of a topic. */
  public static Refused invalid(String field, String message) {
    return new Refused(Reason.INVALID, field, message, 0);
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
