package io.troupe.runtime.cluster;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster as one node sees it: members, leader, unreachable members, and for each node the
 * shards and entities it hosts per entity type.
 */
public record ClusterView(
    String self,
    String selfStatus,
    String leader,
    List<Member> members,
    List<String> unreachable,
    Map<String, Map<String, Region>> sharding) {

  public record Member(String address, String status, Set<String> roles, boolean reachable) {}

  /** One node's share of one entity type. {@code failedShards} did not answer in time. */
  public record Region(int shards, int entities, int failedShards) {}
}
