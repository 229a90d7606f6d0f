package io.troupe.runtime.governance.security;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's {@link AuditLog}, for services that Pekko creates from the actor system and that
 * audit what the edge's request line cannot say (a decision and its comment).
 * {@link io.troupe.runtime.node.TroupeNode#start} sets it; without one (an actor system that is
 * not a node, as in tests of entities alone) nothing is recorded.
 */
public final class NodeAudit implements Extension {

  private volatile AuditLog log;

  private NodeAudit() {}

  public static NodeAudit get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Set once by the node. */
  public void use(AuditLog log) {
    this.log = java.util.Objects.requireNonNull(log, "log");
  }

  /** Queues the entry on the node's audit log (never blocks); dropped when there is none. */
  public void record(AuditEntry entry) {
    AuditLog l = log;
    if (l != null) {
      l.record(entry);
    }
  }

  /** Extension id: one {@link NodeAudit} per ActorSystem. */
  public static final class Id extends ExtensionId<NodeAudit> {
    private static final Id INSTANCE = new Id();

    @Override
    public NodeAudit createExtension(ActorSystem<?> system) {
      return new NodeAudit();
    }
  }
}
