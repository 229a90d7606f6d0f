package io.troupe.runtime.cluster;

import io.troupe.monitoring.MemberStatusNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/** Answers "what does the cluster look like" from this node, for the HTTP edge and health checks. */
public final class ClusterInspector {

  private final ActorSystem<?> system;
  private final List<EntityTypeKey<?>> entityTypes;
  private final Duration timeout;

  public ClusterInspector(ActorSystem<?> system, List<EntityTypeKey<?>> entityTypes, Duration timeout) {
    this.system = system;
    this.entityTypes = List.copyOf(entityTypes);
    this.timeout = timeout;
  }

  public String selfStatus() {
    return MemberStatusNames.of(Cluster.get(system).selfMember().status());
  }

  public CompletionStage<ClusterView> view() {
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<org.apache.pekko.cluster.Member> unreachable = state.getUnreachable();
    List<ClusterView.Member> members = new ArrayList<>();
    state.getMembers().forEach(m -> members.add(new ClusterView.Member(
        m.address().toString(), MemberStatusNames.of(m.status()),
        new TreeSet<>(m.getRoles()), !unreachable.contains(m))));
    List<String> unreachableAddresses = unreachable.stream().map(m -> m.address().toString()).sorted().toList();
    String leader = state.getLeader() == null ? null : state.getLeader().toString();

    List<CompletableFuture<Map.Entry<String, ShardRegion.ClusterShardingStats>>> stats = new ArrayList<>();
    for (EntityTypeKey<?> key : entityTypes) {
      stats.add(AskPattern.<ClusterShardingQuery, ShardRegion.ClusterShardingStats>ask(
              ClusterSharding.get(system).shardState(),
              replyTo -> new GetClusterShardingStats(key, timeout, replyTo),
              timeout.plusSeconds(1), system.scheduler())
          .thenApply(s -> Map.entry(key.name(), s))
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(stats.toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<String, Map<String, ClusterView.Region>> sharding = new TreeMap<>();
      for (CompletableFuture<Map.Entry<String, ShardRegion.ClusterShardingStats>> f : stats) {
        Map.Entry<String, ShardRegion.ClusterShardingStats> entry = f.join();
        Map<Address, ShardRegion.ShardRegionStats> regions = entry.getValue().getRegions();
        regions.forEach((address, region) -> {
          int entities = region.getStats().values().stream().mapToInt(v -> ((Number) v).intValue()).sum();
          sharding.computeIfAbsent(address.toString(), a -> new TreeMap<>())
              .put(entry.getKey(), new ClusterView.Region(region.getStats().size(), entities, region.getFailed().size()));
        });
      }
      return new ClusterView(cluster.selfMember().address().toString(), selfStatus(), leader,
          members, unreachableAddresses, sharding);
    });
  }

  /** Completes when every shard region on this node answers; fails otherwise. */
  public CompletionStage<Integer> localRegionsAnswer() {
    List<CompletableFuture<ShardRegion.CurrentShardRegionState>> answers = entityTypes.stream()
        .map(key -> AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                ClusterSharding.get(system).shardState(),
                replyTo -> new GetShardRegionState(key, replyTo), timeout, system.scheduler())
            .toCompletableFuture())
        .collect(Collectors.toList());
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(d -> answers.size());
  }
}
