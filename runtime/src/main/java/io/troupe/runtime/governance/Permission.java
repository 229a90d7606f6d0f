package io.troupe.runtime.governance;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a key may do. Each HTTP route needs exactly one (see the edge's route table); a role is
 * a set of them. The names are the API's: {@code GET /api/v1/security/permissions} lists them.
 */
public enum Permission {
  AGENTS_READ("agents:read", "list and read agent definitions"),
  AGENTS_WRITE("agents:write", "define, redefine and subscribe agents"),
  SESSIONS_READ("sessions:read", "read sessions and stream their events"),
  SESSIONS_RUN("sessions:run", "start and cancel agent sessions (spends model budget)"),
  APPROVALS_DECIDE("approvals:decide", "list and decide the tool calls of one's sessions that await approval"),
  TOPICS_READ("topics:read", "list topics, read and stream messages, read subscriber positions"),
  TOPICS_WRITE("topics:write", "publish messages and move subscriber positions"),
  DECONFLICTION_READ("deconfliction:read", "read allocations and decisions"),
  DECONFLICTION_REQUEST("deconfliction:request", "request frequency allocations and release one's own"),
  DECONFLICTION_PRIORITY("deconfliction:priority", "request IMMEDIATE and FLASH priority, which may preempt others' allocations"),
  DECONFLICTION_APPROVE("deconfliction:approve", "approve or reject requests held for approval (preemptions where"
      + " a theater's Rules of Engagement say preemptionNeedsApproval)"),
  ROE_READ("roe:read", "read Rules of Engagement"),
  ROE_WRITE("roe:write", "set Rules of Engagement"),
  ANALYTICS_READ("analytics:read", "read analytics"),
  CLUSTER_READ("cluster:read", "read cluster membership and node status"),
  METRICS_READ("metrics:read", "scrape /metrics when it is protected"),
  COSTS_READ("costs:read", "read one's own costs, usage and budgets"),
  COSTS_READ_ALL("costs:read-all", "read every user's and agent's costs"),
  BUDGETS_WRITE("budgets:write", "set budgets"),
  ADMIN_READ("admin:read", "read the admin views (request metrics, errors, user activity)"),
  SECURITY_ADMIN("security:admin", "manage users, roles and API keys; read the audit log");

  private final String id;
  private final String description;

  Permission(String id, String description) {
    this.id = id;
    this.description = description;
  }

  public String id() {
    return id;
  }

  public String description() {
    return description;
  }

  public static Optional<Permission> byId(String id) {
    return Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst();
  }
}
