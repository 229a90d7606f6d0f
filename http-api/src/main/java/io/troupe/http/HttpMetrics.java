package io.troupe.http;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Histogram;
import io.troupe.monitoring.Metrics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/** The HTTP edge's request metrics, recorded by {@link HttpMetricsDirectives}; routes are templates. */
public final class HttpMetrics implements Extension {

  public final Counter httpRequests;
  public final Histogram httpRequestDuration;
  public final Counter requestsRefused;
  public final io.prometheus.client.Gauge requestsInFlight;

  private HttpMetrics(CollectorRegistry registry) {
    httpRequests = Counter.build()
        .name("http_requests_total").help("HTTP requests answered, by method, route template and status")
        .labelNames("method", "route", "status").register(registry);
    httpRequestDuration = Histogram.build()
        .name("http_request_duration_seconds").help("Time to answer an HTTP request (to response headers)")
        .labelNames("method", "route").buckets(Metrics.LATENCY_BUCKETS).register(registry);
    requestsRefused = Counter.build()
        .name("troupe_http_requests_refused_total")
        .help("API requests refused with 503 because troupe.http.max-in-flight requests were in flight on the node")
        .register(registry);
    requestsInFlight = io.prometheus.client.Gauge.build()
        .name("troupe_http_requests_in_flight")
        .help("API requests admitted and not yet answered on this node (see troupe.http.max-in-flight)")
        .register(registry);
  }

  /** This node's HTTP metrics, registered on its shared registry at the first call. */
  public static HttpMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Extension id: one {@link HttpMetrics} per ActorSystem. */
  public static final class Id extends ExtensionId<HttpMetrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public HttpMetrics createExtension(ActorSystem<?> system) {
      return new HttpMetrics(Metrics.get(system).registry);
    }
  }
}
