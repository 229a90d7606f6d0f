package io.troupe.runtime.node;

import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * A sharded entity type a module above the runtime brings to the node (the runtime may not
 * import those modules): its key, for metrics and the cluster view, and how to start its sharding.
 */
public record EntityRegistration(EntityTypeKey<?> key, Consumer<ActorSystem<?>> init) {}
