package io.troupe.agents;

import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.runtime.node.EntityRegistration;
import java.util.List;

/** The sharded entity types of the domain, started on every node next to the runtime's own. */
public final class DomainEntities {

  public static final List<EntityRegistration> ALL = List.of(
      new EntityRegistration(DeconflictionCoordinator.ENTITY_KEY, DeconflictionCoordinator::init));

  private DomainEntities() {}
}
