package io.troupe.runtime.governance;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** A user's role: the permissions every key of that user carries. */
public enum Role {
  /**
   * Everything, including {@code deconfliction:priority} and {@code deconfliction:approve}
   * (preempting others is an administrator's call).
   */
  ADMIN(EnumSet.allOf(Permission.class)),
  /** Define and run agents, publish and read topics, request deconfliction, read own costs. */
  USER(EnumSet.of(
      Permission.AGENTS_READ, Permission.AGENTS_WRITE,
      Permission.SESSIONS_READ, Permission.SESSIONS_RUN, Permission.APPROVALS_DECIDE,
      Permission.TOPICS_READ, Permission.TOPICS_WRITE,
      Permission.DECONFLICTION_READ, Permission.DECONFLICTION_REQUEST,
      Permission.ROE_READ, Permission.ANALYTICS_READ, Permission.CLUSTER_READ,
      Permission.METRICS_READ, Permission.COSTS_READ)),
  /** Read only: agents, sessions, topics, allocations, analytics, metrics. */
  READONLY(EnumSet.of(
      Permission.AGENTS_READ, Permission.SESSIONS_READ, Permission.TOPICS_READ,
      Permission.DECONFLICTION_READ, Permission.ROE_READ, Permission.ANALYTICS_READ,
      Permission.CLUSTER_READ, Permission.METRICS_READ));

  private final Set<Permission> permissions;

  Role(EnumSet<Permission> permissions) {
    this.permissions = Collections.unmodifiableSet(permissions);
  }

  public Set<Permission> permissions() {
    return permissions;
  }

  public boolean allows(Permission permission) {
    return permissions.contains(permission);
  }
}
