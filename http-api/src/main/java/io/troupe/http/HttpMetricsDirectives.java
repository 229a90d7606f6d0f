package io.troupe.http;

import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Counts and times every request by method, route template and status. A route names its
 * template with {@link #template}; a request no route matched is counted as "unmatched". Raw
 * paths never become label values, so the label set stays bounded whatever clients send.
 */
public class HttpMetricsDirectives extends AllDirectives {

  private static final AttributeKey<RouteTemplate> TEMPLATE = AttributeKey.create("troupe-route-template", RouteTemplate.class);

  /** Mutable per request: set by the innermost route that matched the path. */
  static final class RouteTemplate {
    volatile String value = "unmatched";
  }

  protected Route instrumented(HttpMetrics metrics, Supplier<Route> inner) {
    return extractRequest(request -> {
      long start = System.nanoTime();
      RouteTemplate template = new RouteTemplate();
      String method = request.method().value();
      return mapRequest(r -> r.addAttribute(TEMPLATE, template), () ->
          mapResponse(response -> {
            metrics.httpRequests.labels(method, template.value, Integer.toString(response.status().intValue())).inc();
            metrics.httpRequestDuration.labels(method, template.value).observe((System.nanoTime() - start) / 1e9);
            return response;
          }, inner));
    });
  }

  /** Names the route template of the requests {@code inner} handles. */
  protected Route template(String routeTemplate, Supplier<Route> inner) {
    return extractRequest(request -> {
      request.getAttribute(TEMPLATE).ifPresent(t -> t.value = routeTemplate);
      return inner.get();
    });
  }
}
