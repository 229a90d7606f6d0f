package io.troupe.runtime.readside;

import io.troupe.runtime.agent.Session;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Fills {@code agent_session} from the events tagged {@link Session#TAG}: grouped, exactly-once
 * (offsets in {@code pekko_projection_offset_store}), one instance per slice ({@link ReadSide}). Rows lag the
 * sessions by about {@code jdbc-read-journal.refresh-interval}.
 */
public final class SessionProjection {

  public static final String NAME = "agent-sessions";

  private SessionProjection() {}

  public static void init(ActorSystem<?> system) {
    ReadSide.<Session.Event>init(system, NAME, Session.TAG, SessionProjectionHandler::new);
  }
}
