package io.troupe.runtime.governance.security;

import java.time.Instant;

/**
 * One line of the audit log. {@code action} is the route ({@code "PUT /api/v1/agents/{name}"}),
 * {@code resource} the path it was asked for (no query string, no body), {@code outcome} one of
 * {@link Outcome}. {@code userId}/{@code keyId} are null when the caller was not authenticated.
 * {@code detail} says what route and path cannot (a decision and its comment; null for most).
 */
public record AuditEntry(long id, Instant at, String userId, String keyId, String action, String permission,
                         String resource, String outcome, int status, String remoteAddress, String node,
                         String detail) {

  /** Most lines: no detail beyond the route. */
  public AuditEntry(long id, Instant at, String userId, String keyId, String action, String permission,
                    String resource, String outcome, int status, String remoteAddress, String node) {
    this(id, at, userId, keyId, action, permission, resource, outcome, status, remoteAddress, node, null);
  }

  /** What happened to the request. */
  public enum Outcome { OK, FAILED, AUTH_FAILED, DENIED, RATE_LIMITED }
}
