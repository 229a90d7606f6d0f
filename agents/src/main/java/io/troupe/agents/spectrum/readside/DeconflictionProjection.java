package io.troupe.agents.spectrum.readside;

import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.runtime.readside.ReadSide;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Fills {@code deconfliction_decision}, {@code frequency_allocation} and {@code roe_violation}
 * from the events tagged {@link DeconflictionCoordinator#TAG}: grouped, exactly-once (offsets in
 * {@code pekko_projection_offset_store}), one instance per slice ({@link ReadSide}). Rows lag the coordinators
 * by about {@code jdbc-read-journal.refresh-interval}.
 */
public final class DeconflictionProjection {

  public static final String NAME = "deconfliction";

  private DeconflictionProjection() {}

  public static void init(ActorSystem<?> system) {
    ReadSide.<DeconflictionCoordinator.Event>init(system, NAME, DeconflictionCoordinator.TAG,
        DeconflictionProjectionHandler::new);
  }
}
