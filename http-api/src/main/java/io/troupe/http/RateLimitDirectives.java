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
 * Applies the cluster-wide rate limit of the calling key to a route: the request goes on to
 * {@code inner} when the key's bucket for the route's endpoint class has a token, and is answered
 * 429 with {@code Retry-After} (seconds) and a problem+json {@code detail} naming the limit
 * otherwise. Each 429 counts in {@code rate_limited_requests_total{endpoint_class}}.
 *
 * <p>Usable as a base class (like {@link EdgeDirectives}) or as an instance.
 */
public class RateLimitDirectives extends AllDirectives {

  /** Problem type of a 429 from a rate limit. */
  public static final String RATE_LIMITED_TYPE = "urn:troupe:problem:rate-limited";

  /** Runs {@code inner} if {@code principal}'s key is within its {@code cls} limits, else answers 429. */
  public Route rateLimited(RateLimits limits, Principal principal, EndpointClass cls, Supplier<Route> inner) {
    // The key's buckets; tools its sessions call draw from the same ones (LimiterKeys).
    return onComplete(limits.acquire(LimiterKeys.ofKey(principal.userId(), principal.keyId()), cls), result -> {
      if (result.isFailure()) { // acquire does not fail; if it ever does, the usual mapping answers
        return complete(ProblemHandlers.toResponse(result.failed().get()));
      }
      RateDecision decision = result.get();
      if (decision.allowed()) {
        return inner.get();
      }
      GovernanceMetrics.get(limits.system()).rateLimitedRequests.labels(cls.label()).inc();
      return complete(tooManyRequests(decision, cls));
    });
  }

  /** The 429 for a refused request, e.g. "rate limit exceeded: 10 per 1 minute for reads; retry in 42 s". */
  public static HttpResponse tooManyRequests(RateDecision decision, EndpointClass cls) {
    long retryAfter = decision.retryAfterSeconds();
    Problem problem = new Problem(RATE_LIMITED_TYPE, StatusCodes.TOO_MANY_REQUESTS.reason(), 429,
        "rate limit exceeded: " + decision.description() + " for " + cls.label() + "; retry in " + retryAfter + " s",
        null, null)
        .with("endpointClass", cls.label())
        .with("limit", decision.description())
        .with("retryAfterSeconds", retryAfter);
    return problem.toResponse().addHeader(RetryAfter.create(retryAfter));
  }
}
