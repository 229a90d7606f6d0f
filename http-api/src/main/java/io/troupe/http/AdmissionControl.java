package io.troupe.http;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Admission control at the edge: at most {@code troupe.http.max-in-flight} API requests per node
 * wait for their answer at once; one more is refused at once with 503 and {@code Retry-After}.
 *
 * <p>Without a bound, a node pushed past what it can carry queues every request into the
 * cluster, where each one waits out the services' ask timeouts (up to 3 × 5 s) and then fails
 * anyway: slow for everyone, and the client cannot tell "busy" from "broken". Refusing at the door
 * costs the client one round trip and the node nothing; what it admits it still answers quickly.
 * A request counts until its response starts (an SSE stream stops counting once it is open;
 * open streams have their own bound, troupe.broker.max-streams). Health probes and /metrics are
 * not counted, so a saturated node can still be observed.
 */
final class AdmissionControl extends AllDirectives {

  private final int limit;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final HttpMetrics metrics;

  AdmissionControl(int limit, HttpMetrics metrics) {
    this.limit = limit;
    this.metrics = metrics;
  }

  /** {@code inner}, or a 503 when {@code limit} requests are already waiting for their answer. */
  Route admitted(Supplier<Route> inner) {
    return extractRequestContext(ctx -> {
      if (inFlight.incrementAndGet() > limit) {
        inFlight.decrementAndGet();
        metrics.requestsRefused.inc();
        return complete(Problem.of(StatusCodes.SERVICE_UNAVAILABLE, "this node is at capacity (" + limit
                + " requests in flight, troupe.http.max-in-flight); retry shortly, or through another node")
            .toResponse().addHeader(RetryAfter.create(1L)));
      }
      metrics.requestsInFlight.inc();
      return mapRouteResultFuture(result -> result.whenComplete((r, e) -> {
        inFlight.decrementAndGet();
        metrics.requestsInFlight.dec();
      }), inner);
    });
  }
}
