package io.troupe.runtime.readside;

import io.troupe.runtime.governance.security.ApiUser;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Fills {@code api_user} (one row per user: name, role, keys without their digests) from the
 * events tagged {@link ApiUser#TAG}, one instance per slice ({@link ReadSide}); {@link UserQueries}
 * lists it. Authentication never reads it: keys are checked against the entity.
 */
public final class UserProjection {

  public static final String NAME = "api-users";

  private UserProjection() {}

  public static void init(ActorSystem<?> system) {
    ReadSide.<ApiUser.Event>init(system, NAME, ApiUser.TAG, UserProjectionHandler::new);
  }
}
