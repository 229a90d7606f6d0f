package io.troupe.runtime.readside;

import io.troupe.runtime.agent.Session;
import io.troupe.runtime.governance.cost.PricingTable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Fills {@code model_cost} (one row per model call, with its cost) from the events tagged
 * {@link Session#TAG}: grouped, exactly-once, one instance per slice ({@link ReadSide}). Its own
 * projection, so a node that gains it replays the existing sessions and costs their past calls too.
 */
public final class CostProjection {

  public static final String NAME = "model-costs";

  private CostProjection() {}

  public static void init(ActorSystem<?> system, PricingTable pricing) {
    ReadSide.<Session.Event>init(system, NAME, Session.TAG, () -> new CostProjectionHandler(pricing));
  }
}
