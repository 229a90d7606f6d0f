package io.troupe.runtime.governance.ratelimit;

import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A clustered ActorSystem with the node's own configuration (serialization, sharding) on a free
 * loopback port, without a database: the rate limiter entities keep no journal, so limiter tests
 * need nothing else.
 */
public final class LimiterSystems {

  private LimiterSystems() {}

  /** Starts a system with {@code overrides}; when {@code join}, it forms a cluster of its own and is Up on return. */
  public static ActorSystem<Void> start(Map<String, Object> overrides, boolean join) throws InterruptedException {
    Map<String, Object> settings = new HashMap<>();
    settings.put("troupe.host", "127.0.0.1");
    settings.put("troupe.cluster-port", TestNodes.freePort());
    settings.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
    settings.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    if (!join) {
      // Never a member: its sharding region never finds a coordinator to hand off to, and it has
      // no cluster to leave; do not wait the phases' 10 s for either at stop.
      settings.put("pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout", "1s");
      settings.put("pekko.coordinated-shutdown.phases.cluster-exiting.timeout", "1s");
    }
    settings.putAll(overrides);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "troupe",
        ConfigFactory.load(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultApplication())));
    if (join) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
      while (cluster.selfMember().status() != MemberStatus.up()) {
        if (Instant.now().isAfter(deadline)) {
          stop(system);
          throw new AssertionError("system did not become Up within 30 s");
        }
        Thread.sleep(50);
      }
    }
    return system;
  }

  public static void stop(ActorSystem<?> system) {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join();
  }
}
