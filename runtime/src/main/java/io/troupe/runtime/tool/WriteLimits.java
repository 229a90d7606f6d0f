package io.troupe.runtime.tool;

import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.GovernanceMetrics;
import io.troupe.runtime.governance.ratelimit.LimiterKeys;
import io.troupe.runtime.governance.ratelimit.RateLimits;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The rate limits of tools that write (publish, deconfliction requests and releases, starting
 * sessions): each call takes a token from the same bucket as the HTTP route it mirrors, so a
 * model cannot do through tools what the API would refuse its user (7,000 publishes from one
 * request). A tool acts for its session's owner, with no API key of its own: it is charged to
 * the key that started the root session of its call chain ({@link CallChain#rootKeyId()}, the
 * bucket that key's HTTP requests draw from), or, for sessions no key started, to the owner's
 * bucket for those ({@link LimiterKeys#ofSessionsWithoutKey}). A refused call is a tool error
 * the model sees ("rate limit exceeded ..., retry after N s"); the session goes on. Refusals count
 * in {@code rate_limited_requests_total{endpoint_class}} like the edge's 429s.
 */
public final class WriteLimits {

  private final RateLimits limits;
  private final GovernanceMetrics metrics;

  public WriteLimits(ActorSystem<?> system) {
    this.limits = RateLimits.get(system);
    this.metrics = GovernanceMetrics.get(system);
  }

  /** Completes when the call may go ahead; fails with a {@link ToolException} when a limit refuses it. */
  public CompletionStage<Void> take(ToolContext context, EndpointClass cls, String what) {
    CallChain chain = context.chain();
    boolean keyed = chain != null && chain.rootKeyId() != null && chain.rootKeyUserId() != null;
    // Sessions without a user run as the anonymous user (Session.ANONYMOUS_USER).
    String user = context.userId() != null ? context.userId() : "anonymous";
    // The key's holder, not the owner: an administrator's key that started a session for a user pays.
    String key = keyed ? LimiterKeys.ofKey(chain.rootKeyUserId(), chain.rootKeyId())
        : LimiterKeys.ofSessionsWithoutKey(user);
    return limits.acquire(key, cls).thenAccept(decision -> {
      if (!decision.allowed()) {
        metrics.rateLimitedRequests.labels(cls.label()).inc();
        throw new ToolException("rate limit exceeded for " + what + ": " + decision.description() + " for "
            + cls.label() + ", counted against " + (keyed ? "the API key that started this session" + (
                chain.depth() > 0 ? "'s root session " + chain.rootSessionId() : "")
                : "the sessions of user " + user + " that no API key started")
            + "; retry after " + decision.retryAfterSeconds() + " s");
      }
    });
  }
}
