package io.troupe.runtime.db;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's query pool ({@link Database}), for the parts of a node that Pekko creates from the
 * actor system (extensions, entities) rather than the node hands it to: reads of the journal that
 * are one SELECT each (a session's events for its view and stream), which through the read
 * journal's Slick stream cost several times the query. {@link io.troupe.runtime.node.TroupeNode#start}
 * sets it before any entity starts.
 */
public final class NodeDatabase implements Extension {

  private volatile Database database;

  private NodeDatabase() {}

  public static NodeDatabase get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** The node's query pool; fails when the node did not set one (an actor system that is not a node). */
  public Database database() {
    Database d = database;
    if (d == null) {
      throw new IllegalStateException("this actor system is not a Troupe node: no query pool was set");
    }
    return d;
  }

  /** Set once by the node, before entities start. */
  public void use(Database database) {
    this.database = java.util.Objects.requireNonNull(database, "database");
  }

  /** Extension id: one {@link NodeDatabase} per ActorSystem. */
  public static final class Id extends ExtensionId<NodeDatabase> {
    private static final Id INSTANCE = new Id();

    @Override
    public NodeDatabase createExtension(ActorSystem<?> system) {
      return new NodeDatabase();
    }
  }
}
