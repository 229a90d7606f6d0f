package io.troupe.http;

import io.prometheus.client.exporter.common.TextFormat;
import io.troupe.monitoring.Metrics;
import io.troupe.runtime.cluster.ClusterInspector;
import io.troupe.runtime.node.HealthProbe;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import org.apache.pekko.http.javadsl.server.Route;

/** Health probes, Prometheus metrics, and the cluster view. */
public final class OpsRoutes extends EdgeDirectives {

  private static final ContentType PROMETHEUS_TEXT =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final HealthProbe health;
  private final ClusterInspector inspector;
  private final Metrics metrics;

  public OpsRoutes(HealthProbe health, ClusterInspector inspector, Metrics metrics) {
    super(0);
    this.health = health;
    this.inspector = inspector;
    this.metrics = metrics;
  }

  /** Routes at the root: /health, /health/ready, /health/live, /metrics. */
  public Route rootRoutes() {
    return concat(
        path("health", () -> template("/health", () -> get(() -> respond(health.health().thenApply(h ->
            Json.response(h.up() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, h)))))),
        path(segment("health").slash("ready"), () -> template("/health/ready", () -> get(() ->
            respond(health.readiness().thenApply(r -> r.ready()
                ? Json.response(StatusCodes.OK, Map.of("status", "READY"))
                : Problem.of(StatusCodes.SERVICE_UNAVAILABLE, "not ready: " + String.join("; ", r.failing()))
                    .with("failing", r.failing()).toResponse()))))),
        path(segment("health").slash("live"), () -> template("/health/live", () -> get(() ->
            complete(Json.response(StatusCodes.OK, Map.of("status", "UP")))))),
        path("metrics", () -> template("/metrics", () -> get(() -> complete(scrape())))));
  }

  /** Routes under /api/v1: /cluster. */
  public Route apiRoutes() {
    return path("cluster", () -> template("/api/v1/cluster", () -> get(() ->
        respond(inspector.view().thenApply(view -> Json.response(StatusCodes.OK, view))))));
  }

  private HttpResponse scrape() {
    StringWriter out = new StringWriter(16 * 1024);
    try {
      TextFormat.write004(out, metrics.registry.metricFamilySamples());
    } catch (IOException e) {
      throw new IllegalStateException("a StringWriter does not fail", e);
    }
    return HttpResponse.create().withEntity(HttpEntities.create(PROMETHEUS_TEXT, out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
