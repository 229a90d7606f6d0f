package io.troupe.http;

import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.Permission;

/**
 * What a route needs: the permission a caller's role must hold ({@code null}: any valid key) and
 * the rate-limit class its requests count against. {@code template} is the route's path with
 * {@code {name}} for each variable segment, as in the http_requests_total route label.
 */
public record RouteRule(String method, String template, Permission permission, EndpointClass endpointClass) {

  public boolean mutating() {
    return !method.equals("GET");
  }

  /** The audit log's action: method and template. */
  public String action() {
    return method + " " + template;
  }
}
