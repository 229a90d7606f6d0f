package io.troupe.http;

import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Principal;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Whose costs a principal may read: everyone's with {@code costs:read-all}, only its own with
 * {@code costs:read} (no userId asked means its own; another user's is a 403). Whether it may read
 * costs at all is the guard's check.
 */
final class CostAccess {

  private CostAccess() {}

  /** The problem when {@code principal} may not read the costs of {@code requestedUserId} (null: unscoped), else null. */
  static Problem refusal(Principal principal, String requestedUserId) {
    if (principal.allows(Permission.COSTS_READ_ALL)) {
      return null;
    }
    // costs:read itself was checked by the guard (RouteTable): the question here is whose.
    if (requestedUserId != null && !requestedUserId.equals(principal.userId())) {
      return Problem.of(StatusCodes.FORBIDDEN, Permission.COSTS_READ.id() + " allows reading only your own costs (userId "
          + principal.userId() + "); another user's need " + Permission.COSTS_READ_ALL.id());
    }
    return null;
  }

  /** The user whose costs a query covers: the one asked for (null: everyone) with read-all, else the caller. */
  static String scope(Principal principal, String requestedUserId) {
    return principal.allows(Permission.COSTS_READ_ALL) ? requestedUserId : principal.userId();
  }

  /** A problem when {@code principal} lacks {@code permission}, else null. */
  static Problem lacking(Principal principal, Permission permission) {
    return principal.allows(permission) ? null
        : Problem.of(StatusCodes.FORBIDDEN, "this needs the permission " + permission.id());
  }
}
