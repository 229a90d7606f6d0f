package io.troupe.http;

import io.troupe.runtime.governance.GovernanceMetrics;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.security.AuditEntry;
import io.troupe.runtime.governance.security.AuditEntry.Outcome;
import io.troupe.runtime.governance.security.AuditLog;
import io.troupe.runtime.governance.security.Authenticator;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The edge's gate in front of every API route ({@code /api/v1} and the OpenAI-compatible {@code /v1},
 * whose answers {@link OpenAiRoutes#withOpenAiErrors} rewrites in OpenAI's error shape), in this order: a key must be
 * presented and valid (401), the request must match a row of {@link RouteTable} (404, or 405
 * with {@code Allow}), the caller's role must hold the row's permission (403), then the rate
 * limit of the key and the row's class (429). Authentication failures, denials, refusals and
 * every mutating request are written to the audit log with who, what, where from and the status;
 * never the key, never a body. The principal travels to the routes as a request attribute.
 */
final class Guard extends EdgeDirectives {

  /** Applies the key's rate limit for a class; answers the refusal, or {@code inner}. */
  @FunctionalInterface
  interface RateLimit {
    Route apply(Principal principal, RouteRule rule, Supplier<Route> inner);

    RateLimit NONE = (principal, rule, inner) -> inner.get();
  }

  private static final String BEARER = "bearer ";
  private static final java.time.Duration STREAM_RECHECK = java.time.Duration.ofMillis(500);

  private final Authenticator authenticator;
  private final AuditLog audit;
  private final GovernanceMetrics metrics;
  private final RateLimit rateLimit;
  private final String node;
  private final AuthFailureThrottle throttle;

  Guard(Authenticator authenticator, AuditLog audit, GovernanceMetrics metrics, RateLimit rateLimit, String node,
        int authFailuresPerMinute) {
    super(0);
    this.throttle = new AuthFailureThrottle(authFailuresPerMinute);
    this.authenticator = authenticator;
    this.audit = audit;
    this.metrics = metrics;
    this.rateLimit = rateLimit;
    this.node = node;
  }

  /** Guards the API routes: the row is looked up from the request's method and path. */
  Route api(Supplier<Route> inner) {
    return extractRequest(request -> {
      String path = request.getUri().path();
      Optional<RouteRule> rule = RouteTable.match(request.method().value(), path);
      return authenticated(request, (principal, key) -> {
        if (rule.isEmpty()) {
          List<String> allowed = RouteTable.methodsFor(path);
          if (allowed.isEmpty()) {
            return problem(Problem.of(StatusCodes.NOT_FOUND, "no API route " + path));
          }
          return complete(Problem.of(StatusCodes.METHOD_NOT_ALLOWED, request.method().value() + " is not allowed on "
                  + path + "; allowed: " + String.join(", ", allowed)).toResponse()
              .addHeader(Allow.create(allowed.stream().map(m -> HttpMethods.lookup(m).orElseThrow())
                  .toArray(org.apache.pekko.http.javadsl.model.HttpMethod[]::new))));
        }
        return authorized(request, principal, key, rule.get(), inner);
      }, rule);
    });
  }

  /** Guards one route with a fixed row (the protected {@code /metrics}). */
  Route fixed(RouteRule rule, Supplier<Route> inner) {
    return extractRequest(request ->
        authenticated(request, (principal, key) -> authorized(request, principal, key, rule, inner), Optional.of(rule)));
  }

  private Route authenticated(HttpRequest request, java.util.function.BiFunction<Principal, String, Route> inner,
                              Optional<RouteRule> rule) {
    Optional<String> key = presentedKey(request);
    if (key.isEmpty()) {
      metrics.authAttempts.labels("missing").inc();
      return remote(ip -> {
        record(request, ip, null, rule, Outcome.AUTH_FAILED, 401);
        return unauthorized("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'");
      });
    }
    return remote(ip -> {
      long wait = throttle.retryAfterSeconds(ip);
      // A throttled address still has its valid keys served (the throttle must not let anyone lock
      // out the users behind an address): a key whose ids this node knows is checked; any other is
      // refused unread, which keeps guessing slow and costs no lookup.
      if (wait > 0 && !authenticator.knows(key.get())) {
        return throttled(wait);
      }
      return onComplete(authenticator.authenticate(key.get()), result -> {
        if (result.isFailure()) {
          return complete(ProblemHandlers.toResponse(result.failed().get()));
        }
        Authenticator.Result r = result.get();
        if (!r.authenticated()) {
          throttle.failed(ip);
          if (wait > 0) {
            return throttled(wait);
          }
          metrics.authAttempts.labels(r.failure()).inc();
          record(request, ip, null, rule, Outcome.AUTH_FAILED, 401);
          return unauthorized("the API key is not valid (unknown, revoked or mistyped)");
        }
        metrics.authAttempts.labels("ok").inc();
        return inner.apply(r.principal(), key.get());
      });
    });
  }

  /** Not audited line by line: a guessing flood must not crowd real entries out of the audit queue. */
  private Route throttled(long waitSeconds) {
    metrics.authAttempts.labels("throttled").inc();
    return complete(Problem.of(StatusCodes.TOO_MANY_REQUESTS, "too many invalid API keys from this address;"
        + " retry in " + waitSeconds + " s").toResponse().addHeader(RetryAfter.create(waitSeconds)));
  }

  private Route authorized(HttpRequest request, Principal principal, String key, RouteRule rule, Supplier<Route> inner) {
    return remote(ip -> {
      if (rule.permission() != null && !principal.allows(rule.permission())) {
        metrics.permissionChecks.labels("denied").inc();
        record(request, ip, principal, Optional.of(rule), Outcome.DENIED, 403);
        return problem(Problem.of(StatusCodes.FORBIDDEN, "role " + principal.role() + " of user "
            + principal.userId() + " lacks the permission " + rule.permission().id() + " that "
            + rule.action() + " needs"));
      }
      metrics.permissionChecks.labels("allowed").inc();
      return mapRequest(r -> r.addAttribute(EdgeDirectives.PRINCIPAL, principal), () ->
          mapResponse(response -> {
            int status = response.status().intValue();
            if (status == 429) {
              record(request, ip, principal, Optional.of(rule), Outcome.RATE_LIMITED, status);
            } else if (status == 403) {
              // A route's own refusal (another user's costs, a session for someone else).
              record(request, ip, principal, Optional.of(rule), Outcome.DENIED, status);
            } else if (rule.mutating()) {
              record(request, ip, principal, Optional.of(rule), status < 400 ? Outcome.OK : Outcome.FAILED, status);
            }
            if (response.entity().getContentType().mediaType().equals(MediaTypes.TEXT_EVENT_STREAM)) {
              return response.withEntity(org.apache.pekko.http.javadsl.model.HttpEntities.createChunked(
                  response.entity().getContentType(), response.entity().getDataBytes().via(whileAllowed(key, rule))));
            }
            return response;
          }, () -> rateLimit.apply(principal, rule, () -> handleRejections(ProblemHandlers.rejections(), inner))));
    });
  }

  private static final Object STILL_ALLOWED = new Object();
  private static final Object NO_LONGER_ALLOWED = new Object();

  /**
   * A stream outlives the check made when it opened: its key is checked again every
   * {@link #STREAM_RECHECK}, and the stream ends once the key is revoked or its user's role lost
   * the route's permission (so a revocation ends open streams too, within about a second). A
   * check that cannot be made keeps the stream: only a definite "no" ends it.
   */
  private Flow<ByteString, ByteString, NotUsed> whileAllowed(String key, RouteRule rule) {
    Source<Object, ?> checks = Source.tick(STREAM_RECHECK, STREAM_RECHECK, STILL_ALLOWED)
        .mapAsync(1, tick -> authenticator.authenticate(key).handle((r, failure) ->
            failure != null || (r.authenticated() && (rule.permission() == null || r.principal().allows(rule.permission())))
                ? STILL_ALLOWED : NO_LONGER_ALLOWED));
    return Flow.<ByteString>create().map(bytes -> (Object) bytes)
        .merge(checks, true)
        .takeWhile(item -> item != NO_LONGER_ALLOWED)
        .filter(item -> item instanceof ByteString)
        .map(item -> (ByteString) item);
  }

  /** The client's address: X-Forwarded-For counts only from troupe.http.trusted-proxies. */
  private Route remote(java.util.function.Function<String, Route> inner) {
    return extractMaterializer(mat -> extractRequest(request -> inner.apply(
        HttpSettings.get(Adapter.toTyped(mat.system())).trustedProxies().clientAddress(request))));
  }

  private void record(HttpRequest request, String ip, Principal principal, Optional<RouteRule> rule, Outcome outcome,
                      int status) {
    String path = request.getUri().path();
    audit.record(new AuditEntry(0, Instant.now().truncatedTo(ChronoUnit.MICROS),
        principal == null ? null : principal.userId(), principal == null ? null : principal.keyId(),
        rule.map(RouteRule::action).orElse(request.method().value() + " " + bounded(path)),
        rule.map(r -> r.permission() == null ? null : r.permission().id()).orElse(null),
        bounded(path), outcome.name(), status, ip, node));
  }

  /** Paths are client input: keep the audit line bounded. */
  private static String bounded(String path) {
    return path.length() <= 512 ? path : path.substring(0, 512) + "…";
  }

  private Route unauthorized(String detail) {
    return complete(Problem.of(StatusCodes.UNAUTHORIZED, detail).toResponse()
        .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "troupe"))));
  }

  /** {@code Authorization: Bearer <key>}, else {@code X-API-Key}. */
  static Optional<String> presentedKey(HttpRequest request) {
    Optional<String> bearer = request.getHeader("Authorization").map(h -> h.value().strip())
        .filter(v -> v.regionMatches(true, 0, BEARER, 0, BEARER.length()))
        .map(v -> v.substring(BEARER.length()).strip());
    Optional<String> key = bearer.or(() -> request.getHeader("X-API-Key").map(h -> h.value().strip()));
    return key.filter(k -> !k.isEmpty() && k.length() <= 512);
  }
}
