package io.troupe.runtime;

import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A single real node for runtime tests: clustered ActorSystem, JDBC journal on a fresh
 * PostgreSQL database. Entity tests run here rather than in EventSourcedBehaviorTestKit, whose
 * journal is in memory; Troupe's storage tests talk to a real PostgreSQL.
 */
public final class NodeFixture implements AutoCloseable {

  public final TroupeNode node;
  public final ActorTestKit testKit;

  private NodeFixture(TroupeNode node) {
    this.node = node;
    this.testKit = ActorTestKit.create(node.system());
  }

  public static NodeFixture start(Map<String, Object> extraConfig) throws Exception {
    return start(extraConfig, java.time.Clock.systemUTC());
  }

  /** A node whose {@link io.troupe.runtime.node.NodeClock} is {@code clock}, e.g. a {@link MovableClock}. */
  public static NodeFixture start(Map<String, Object> extraConfig, java.time.Clock clock) throws Exception {
    TroupeNode node = TroupeNode.start(TestNodes.config(TestDatabase.fresh(), TestNodes.Ports.free(), List.of(), extraConfig),
        List.of(), List.of(), clock);
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (Cluster.get(node.system()).selfMember().status() != MemberStatus.up()) {
      if (Instant.now().isAfter(deadline)) {
        node.close();
        throw new AssertionError("node did not become Up within 60 s");
      }
      Thread.sleep(100);
    }
    return new NodeFixture(node);
  }

  @Override
  public void close() {
    node.close();
  }
}
