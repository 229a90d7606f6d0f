package io.troupe.agents;

import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.runtime.node.EntityRegistration;
import java.util.List;

/** The sharded entity types of the domain, started on every node next to the runtime's own. */
public final class DomainEntities {

  public static final List<EntityRegistration> ALL = List.of(
      new EntityRegistration(DeconflictionCoordinator.ENTITY_KEY, system -> {
        DeconflictionCoordinator.init(system);
        io.troupe.agents.spectrum.readside.DeconflictionProjection.init(system);
        BuiltInAgents.defineWhenUp(system);
      }));

  /** The domain's tools for agents: request_deconfliction, get_spectrum_plan, release_allocation. */
  public static final List<java.util.function.Function<org.apache.pekko.actor.typed.ActorSystem<?>, io.troupe.runtime.tool.Tool>>
      TOOLS = io.troupe.agents.tools.SpectrumTools.ALL;

  private DomainEntities() {}
}
