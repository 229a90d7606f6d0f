package io.troupe.runtime.governance;

import java.util.Set;

/**
 * Who is calling: the user a presented API key belongs to, that key's id (never the key), the
 * user's role at the time the key was checked, and the permissions an ADMIN granted that user on
 * top of the role ({@code grants}, see {@code Users.GRANTABLE}).
 */
public record Principal(String userId, String keyId, Role role, Set<Permission> grants) {

  public Principal {
    grants = grants == null ? Set.of() : Set.copyOf(grants);
  }

  public Principal(String userId, String keyId, Role role) {
    this(userId, keyId, role, Set.of());
  }

  public boolean allows(Permission permission) {
    return role.allows(permission) || grants.contains(permission);
  }

  /**
   * Whether the caller administers the organisation, and so may act on every user's objects
   * (sessions, agents, allocations, subscriber positions): one test for every owner check.
   */
  public boolean isAdmin() {
    return allows(Permission.SECURITY_ADMIN);
  }
}
