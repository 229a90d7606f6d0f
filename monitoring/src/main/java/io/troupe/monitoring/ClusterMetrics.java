package io.troupe.monitoring;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/** Cluster membership and sharding gauges, kept current by {@link ClusterMetricsReporter}. */
public final class ClusterMetrics implements Extension {

  public final Gauge clusterMembers;
  public final Gauge clusterUnreachableMembers;
  public final Gauge clusterIsLeader;
  public final Gauge shardingShards;
  public final Gauge shardingEntities;

  private ClusterMetrics(CollectorRegistry registry) {
    clusterMembers = Gauge.build()
        .name("troupe_cluster_members").help("Cluster members as seen by this node, by member status")
        .labelNames("status").register(registry);
    clusterUnreachableMembers = Gauge.build()
        .name("troupe_cluster_unreachable_members").help("Members this node sees as unreachable")
        .register(registry);
    clusterIsLeader = Gauge.build()
        .name("troupe_cluster_is_leader").help("1 when this node is the cluster leader, else 0")
        .register(registry);
    shardingShards = Gauge.build()
        .name("troupe_sharding_shards").help("Shards hosted on this node, by entity type")
        .labelNames("entity_type").register(registry);
    shardingEntities = Gauge.build()
        .name("troupe_sharding_entities").help("Entities running on this node, by entity type")
        .labelNames("entity_type").register(registry);
  }

  /** This node's cluster gauges, registered on its {@link Metrics#registry} at the first call. */
  public static ClusterMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Extension id: one {@link ClusterMetrics} per ActorSystem. */
  public static final class Id extends ExtensionId<ClusterMetrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public ClusterMetrics createExtension(ActorSystem<?> system) {
      return new ClusterMetrics(Metrics.get(system).registry);
    }
  }
}
