package io.troupe.http;

import static io.troupe.runtime.governance.EndpointClass.ADMIN;
import static io.troupe.runtime.governance.EndpointClass.DECONFLICTION;
import static io.troupe.runtime.governance.EndpointClass.MODEL_RUNNING;
import static io.troupe.runtime.governance.EndpointClass.READS;

import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.Permission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Every API route ({@code /api/v1}, and the OpenAI-compatible {@code /v1}), with the permission it
 * needs and its rate-limit class. The edge
 * consults this table before routing and lets through only requests that match a row, so a
 * route added to a routes class without a row here cannot be reached at all (404): there is no
 * way to add an endpoint that skips authorization. Tests walk this table for every role.
 */
public final class RouteTable {

  public static final List<RouteRule> RULES = List.of(
      rule("GET", "/api/v1/cluster", Permission.CLUSTER_READ, READS),
      // Topics. Publishing counts as a light request: the class is about cost, and a publish is one
      // journal write (agents it wakes are limited when they start sessions of their own).
      rule("GET", "/api/v1/topics", Permission.TOPICS_READ, READS),
      rule("POST", "/api/v1/topics/{topic}/messages", Permission.TOPICS_WRITE, READS),
      rule("GET", "/api/v1/topics/{topic}/messages", Permission.TOPICS_READ, READS),
      rule("GET", "/api/v1/topics/{topic}/stream", Permission.TOPICS_READ, READS),
      rule("GET", "/api/v1/topics/{topic}/subscribers/{name}", Permission.TOPICS_READ, READS),
      rule("POST", "/api/v1/topics/{topic}/subscribers/{name}/ack", Permission.TOPICS_WRITE, READS),
      // Agents and sessions.
      rule("GET", "/api/v1/agents", Permission.AGENTS_READ, READS),
      rule("PUT", "/api/v1/agents/{name}", Permission.AGENTS_WRITE, READS),
      rule("GET", "/api/v1/agents/{name}", Permission.AGENTS_READ, READS),
      rule("DELETE", "/api/v1/agents/{name}", Permission.AGENTS_WRITE, READS),
      rule("POST", "/api/v1/agents/{name}/sessions", Permission.SESSIONS_RUN, MODEL_RUNNING),
      rule("GET", "/api/v1/agents/{name}/sessions", Permission.SESSIONS_READ, READS),
      rule("GET", "/api/v1/sessions", Permission.SESSIONS_READ, READS),
      rule("GET", "/api/v1/sessions/{id}", Permission.SESSIONS_READ, READS),
      rule("POST", "/api/v1/sessions/{id}/cancel", Permission.SESSIONS_RUN, READS),
      rule("GET", "/api/v1/sessions/{id}/events", Permission.SESSIONS_READ, READS),
      // Conversations: a message runs the model again, as a start does.
      rule("POST", "/api/v1/sessions/{id}/messages", Permission.SESSIONS_RUN, MODEL_RUNNING),
      rule("GET", "/api/v1/sessions/{id}/messages", Permission.SESSIONS_READ, READS),
      rule("POST", "/api/v1/sessions/{id}/close", Permission.SESSIONS_RUN, READS),
      // Approvals of tool calls.
      rule("GET", "/api/v1/approvals", Permission.APPROVALS_DECIDE, READS),
      rule("POST", "/api/v1/sessions/{id}/approvals/{callId}", Permission.APPROVALS_DECIDE, READS),
      // Spectrum.
      rule("POST", "/api/v1/deconfliction/requests", Permission.DECONFLICTION_REQUEST, DECONFLICTION),
      rule("GET", "/api/v1/deconfliction/requests/{decisionId}", Permission.DECONFLICTION_READ, READS),
      rule("POST", "/api/v1/deconfliction/requests/{decisionId}/approval", Permission.DECONFLICTION_APPROVE,
          DECONFLICTION),
      rule("GET", "/api/v1/deconfliction/pending", Permission.DECONFLICTION_READ, READS),
      rule("GET", "/api/v1/allocations", Permission.DECONFLICTION_READ, READS),
      rule("GET", "/api/v1/allocations/{id}", Permission.DECONFLICTION_READ, READS),
      rule("DELETE", "/api/v1/allocations/{id}", Permission.DECONFLICTION_REQUEST, DECONFLICTION),
      rule("GET", "/api/v1/roe", Permission.ROE_READ, READS),
      rule("PUT", "/api/v1/roe", Permission.ROE_WRITE, DECONFLICTION),
      // Analytics.
      rule("GET", "/api/v1/analytics/agents", Permission.ANALYTICS_READ, READS),
      rule("GET", "/api/v1/analytics/deconfliction", Permission.ANALYTICS_READ, READS),
      rule("GET", "/api/v1/analytics/roe-violations", Permission.ANALYTICS_READ, READS),
      rule("GET", "/api/v1/analytics/frequency-usage", Permission.ANALYTICS_READ, READS),
      // Costs: costs:read shows one's own (the routes refuse another user's without costs:read-all).
      rule("GET", "/api/v1/costs/stats", Permission.COSTS_READ, READS),
      rule("GET", "/api/v1/costs/usage/{userId}", Permission.COSTS_READ, READS),
      rule("POST", "/api/v1/costs/budget", Permission.BUDGETS_WRITE, ADMIN),
      rule("GET", "/api/v1/costs/budget", Permission.COSTS_READ, READS),
      rule("GET", "/api/v1/costs/forecast", Permission.COSTS_READ, READS),
      rule("GET", "/api/v1/costs/recommendations", Permission.COSTS_READ, READS),
      rule("GET", "/api/v1/costs/models", Permission.COSTS_READ, READS),
      // Admin views.
      rule("GET", "/api/v1/admin/metrics", Permission.ADMIN_READ, ADMIN),
      rule("GET", "/api/v1/admin/errors", Permission.ADMIN_READ, ADMIN),
      rule("GET", "/api/v1/admin/user-activity/{userId}", Permission.ADMIN_READ, ADMIN),
      // Security. Listing permissions and checking one's own need only a valid key.
      rule("GET", "/api/v1/security/permissions", null, READS),
      rule("POST", "/api/v1/security/check-permission", null, READS),
      rule("POST", "/api/v1/security/users", Permission.SECURITY_ADMIN, ADMIN),
      rule("GET", "/api/v1/security/users", Permission.SECURITY_ADMIN, ADMIN),
      rule("GET", "/api/v1/security/users/{id}", Permission.SECURITY_ADMIN, ADMIN),
      rule("PUT", "/api/v1/security/users/{id}/role", Permission.SECURITY_ADMIN, ADMIN),
      rule("POST", "/api/v1/security/users/{id}/api-keys", Permission.SECURITY_ADMIN, ADMIN),
      rule("DELETE", "/api/v1/security/users/{id}/api-keys/{keyId}", Permission.SECURITY_ADMIN, ADMIN),
      rule("PUT", "/api/v1/security/users/{id}/grants/{permission}", Permission.SECURITY_ADMIN, ADMIN),
      rule("DELETE", "/api/v1/security/users/{id}/grants/{permission}", Permission.SECURITY_ADMIN, ADMIN),
      rule("GET", "/api/v1/security/users/{id}/quotas", Permission.SECURITY_ADMIN, ADMIN),
      rule("PUT", "/api/v1/security/users/{id}/quotas", Permission.SECURITY_ADMIN, ADMIN),
      rule("GET", "/api/v1/security/stats", Permission.SECURITY_ADMIN, ADMIN),
      rule("GET", "/api/v1/security/audit", Permission.SECURITY_ADMIN, ADMIN),
      // The OpenAI-compatible door (errors in OpenAI's shape, see OpenAiErrors): a completion runs
      // the model, as a session's start or message does.
      rule("POST", "/v1/chat/completions", Permission.SESSIONS_RUN, MODEL_RUNNING),
      rule("GET", "/v1/models", Permission.AGENTS_READ, READS),
      rule("GET", "/v1/models/{model}", Permission.AGENTS_READ, READS));

  private RouteTable() {}

  private static RouteRule rule(String method, String template, Permission permission, EndpointClass cls) {
    return new RouteRule(method, template, permission, cls);
  }

  /** The row for a request; HEAD is looked up as GET. */
  public static Optional<RouteRule> match(String method, String path) {
    String m = method.equals("HEAD") ? "GET" : method;
    return RULES.stream().filter(r -> r.method().equals(m) && matches(r.template(), path)).findFirst();
  }

  /** The methods some row allows on this path (for 405 and its Allow header); empty when none. */
  public static List<String> methodsFor(String path) {
    TreeSet<String> methods = new TreeSet<>();
    RULES.stream().filter(r -> matches(r.template(), path)).forEach(r -> methods.add(r.method()));
    return new ArrayList<>(methods);
  }

  static boolean matches(String template, String path) {
    String[] t = template.split("/", -1);
    String trimmed = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String[] p = trimmed.split("/", -1);
    if (t.length != p.length) {
      return false;
    }
    for (int i = 0; i < t.length; i++) {
      boolean variable = t[i].startsWith("{");
      if (variable ? p[i].isEmpty() : !t[i].equals(p[i])) {
        return false;
      }
    }
    return true;
  }
}
