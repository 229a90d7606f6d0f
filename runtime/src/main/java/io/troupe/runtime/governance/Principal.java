package io.troupe.runtime.governance;

/**
 * Who is calling: the user a presented API key belongs to, that key's id (never the key), and
 * the user's role at the time the key was checked.
 */
public record Principal(String userId, String keyId, Role role) {

  public boolean allows(Permission permission) {
    return role.allows(permission);
  }
}
