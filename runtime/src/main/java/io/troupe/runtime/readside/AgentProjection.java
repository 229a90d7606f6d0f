package io.troupe.runtime.readside;

import io.troupe.runtime.agent.Agent;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Fills {@code agent} (one row per agent: status, version, definition) from the events tagged
 * {@link Agent#TAG}, one instance per slice ({@link ReadSide}); {@link AgentQueries} lists it.
 */
public final class AgentProjection {

  public static final String NAME = "agents";

  private AgentProjection() {}

  public static void init(ActorSystem<?> system) {
    ReadSide.<Agent.Event>init(system, NAME, Agent.TAG, AgentProjectionHandler::new);
  }
}
