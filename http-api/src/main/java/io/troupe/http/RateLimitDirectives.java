package io.troupe.http;

import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.GovernanceMetrics;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.ratelimit.LimiterKeys;
import io.troupe.runtime.governance.ratelimit.RateDecision;
import io.troupe.runtime.governance.ratelimit.RateLimits;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Applies the cluster-wide rate limits of the calling key and of its user to a route: the request
 * goes on to {@code inner} when the key's bucket for the route's endpoint class has a token and
 * then the user's (which all of the user's keys share, {@code troupe.rate-limits.per-user}), and is
 * answered 429 with {@code Retry-After} (seconds) and a problem+json {@code detail} naming the
 * limit otherwise. Each 429 counts in {@code rate_limited_requests_total{endpoint_class}}.
 *
 * <p>Usable as a base class (like {@link EdgeDirectives}) or as an instance.
 */
public class RateLimitDirectives extends AllDirectives {

  /** Problem type of a 429 from a rate limit. */
  public static final String RATE_LIMITED_TYPE = "urn:troupe:problem:rate-limited";

  /** Runs {@code inner} if {@code principal}'s key and user are within their {@code cls} limits, else answers 429. */
  public Route rateLimited(RateLimits limits, Principal principal, EndpointClass cls, Supplier<Route> inner) {
    // Key ids are unique per user; the user id makes the limiter's id unique in the cluster. Tools
    // its sessions call draw from the key's buckets too (LimiterKeys).
    return limited(limits, LimiterKeys.ofKey(principal.userId(), principal.keyId()), null, cls, () ->
        limited(limits, RateLimits.userSubject(principal.userId()), principal.userId(), cls, inner));
  }

  /** One subject's check: {@code user} names the user when the subject is the user's shared buckets. */
  private Route limited(RateLimits limits, String subject, String user, EndpointClass cls, Supplier<Route> inner) {
    return onComplete(limits.acquire(subject, cls), result -> {
      if (result.isFailure()) { // acquire does not fail; if it ever does, the usual mapping answers
        return complete(ProblemHandlers.toResponse(result.failed().get()));
      }
      RateDecision decision = result.get();
      if (decision.allowed()) {
        return inner.get();
      }
      GovernanceMetrics.get(limits.system()).rateLimitedRequests.labels(cls.label()).inc();
      return complete(tooManyRequests(decision, cls, user));
    });
  }

  /** The 429 for a refused request, e.g. "rate limit exceeded: 10 per 1 minute for reads; retry in 42 s". */
  public static HttpResponse tooManyRequests(RateDecision decision, EndpointClass cls) {
    return tooManyRequests(decision, cls, null);
  }

  /**
   * The same; with {@code user}, refused by the limit all of that user's keys share ("... for reads
   * across all API keys of user u-1; retry in 42 s").
   */
  public static HttpResponse tooManyRequests(RateDecision decision, EndpointClass cls, String user) {
    long retryAfter = decision.retryAfterSeconds();
    String scope = user == null ? "" : " across all API keys of user " + user;
    Problem problem = new Problem(RATE_LIMITED_TYPE, StatusCodes.TOO_MANY_REQUESTS.reason(), 429,
        "rate limit exceeded: " + decision.description() + " for " + cls.label() + scope + "; retry in " + retryAfter
            + " s", null, null)
        .with("endpointClass", cls.label())
        .with("limit", decision.description())
        .with("limitScope", user == null ? "key" : "user")
        .with("retryAfterSeconds", retryAfter);
    return problem.toResponse().addHeader(RetryAfter.create(retryAfter));
  }
}
