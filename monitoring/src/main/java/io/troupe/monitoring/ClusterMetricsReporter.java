package io.troupe.monitoring;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Keeps the cluster and sharding gauges of {@link ClusterMetrics} current. Prometheus collectors are
 * synchronous, but shard-region state is only available by asking the region, so this actor
 * polls on a fixed interval and sets gauges; a scrape then reads values at most one interval old.
 */
public final class ClusterMetricsReporter {

  private ClusterMetricsReporter() {}

  /** The reporter's own messages; nothing outside sends it any. */
  public sealed interface Msg {}

  private record Tick() implements Msg {}

  private record RegionState(String entityType, ShardRegion.CurrentShardRegionState state) implements Msg {}

  public static Behavior<Msg> create(List<EntityTypeKey<?>> entityTypes, Duration interval) {
    return Behaviors.<Msg>setup(ctx -> {
      ClusterMetrics metrics = ClusterMetrics.get(ctx.getSystem());
      Cluster cluster = Cluster.get(ctx.getSystem());
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(new Tick(), Duration.ZERO, interval);
        return Behaviors.receive(Msg.class)
            .onMessage(Tick.class, tick -> {
              reportMembership(cluster.state(), cluster, metrics);
              for (EntityTypeKey<?> key : entityTypes) {
                sharding.shardState().tell(new GetShardRegionState(key,
                    ctx.messageAdapter(ShardRegion.CurrentShardRegionState.class,
                        s -> new RegionState(key.name(), s))));
              }
              return Behaviors.same();
            })
            .onMessage(RegionState.class, rs -> {
              int entities = 0;
              for (ShardRegion.ShardState shard : rs.state().getShards()) {
                entities += shard.getEntityIds().size();
              }
              metrics.shardingShards.labels(rs.entityType()).set(rs.state().getShards().size());
              metrics.shardingEntities.labels(rs.entityType()).set(entities);
              return Behaviors.same();
            })
            .build();
      });
    });
  }

  private static void reportMembership(ClusterEvent.CurrentClusterState state, Cluster cluster, ClusterMetrics metrics) {
    Map<String, Integer> byStatus = new HashMap<>();
    state.getMembers().forEach(m -> byStatus.merge(MemberStatusNames.of(m.status()), 1, Integer::sum));
    for (String status : MemberStatusNames.ALL) {
      metrics.clusterMembers.labels(status).set(0);
    }
    byStatus.forEach((status, count) -> metrics.clusterMembers.labels(status).set(count));
    metrics.clusterUnreachableMembers.set(state.getUnreachable().size());
    boolean leader = state.getLeader() != null && state.getLeader().equals(cluster.selfMember().address());
    metrics.clusterIsLeader.set(leader ? 1 : 0);
  }
}
