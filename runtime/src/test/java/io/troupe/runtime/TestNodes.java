package io.troupe.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.db.DatabaseTarget;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Configuration for test nodes on free loopback ports, sharing one test database. */
public final class TestNodes {

  /**
   * The admin bootstrap key of every test node (TROUPE_ADMIN_TOKEN). A test value, not a secret:
   * tests that check logs for secrets look for the keys the tests create.
   */
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789";

  private TestNodes() {}

  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Test JVMs that run side by side (surefire's forkCount; it numbers them from 1 in
   * {@code troupe.test.fork}) draw ports from separate quarters of 20000–31999, so that two of them
   * never both find the same port free before either binds it.
   */
  private static final int PORT_LOW = 20_000 + 3_000 * ((Math.max(1, Integer.getInteger("troupe.test.fork", 1)) - 1) % 4);

  /**
   * A loopback port free now, drawn at random below Linux's ephemeral range (32768–60999): a port
   * the kernel handed out with bind(0) could be taken by an outgoing connection (JDBC, HTTP)
   * between this check and the node binding it, which failed a cluster test once. Never the same
   * port twice in one JVM.
   */
  public static int freePort() {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = random.nextInt(PORT_LOW, PORT_LOW + 3_000);
      if (HANDED_OUT.contains(port)) {
        continue;
      }
      try (ServerSocket socket = new ServerSocket()) {
        // Without SO_REUSEADDR, as the node's HTTP edge binds: a port whose earlier connections
        // linger in TIME_WAIT (a benchmark's node, a minute ago) is skipped here instead of failing
        // the node's bind ("Address already in use", seen once right after a benchmark run).
        socket.setReuseAddress(false);
        socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        HANDED_OUT.add(port);
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no free loopback port found in " + PORT_LOW + "-" + (PORT_LOW + 2_999));
  }

  /** Ports of one node. */
  public record Ports(int http, int cluster, int management) {
    public static Ports free() {
      return new Ports(freePort(), freePort(), freePort());
    }

    public String seed() {
      return "127.0.0.1:" + cluster;
    }
  }

  /**
   * A node's configuration: its ports, the seed nodes to join (empty: itself), the database,
   * and fast cluster timings suited to tests (a node that left is removed in seconds).
   */
  public static Config config(DatabaseTarget db, Ports ports, List<String> seeds, Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("troupe.host", "127.0.0.1");
    settings.put("troupe.security.admin-token", ADMIN_TOKEN);
    // Tests present wrong keys on purpose, many times; AuthThrottleTest switches the throttle on.
    settings.put("troupe.security.auth-failures-per-minute", 0);
    // Tests drive load with one key; the tests of the limits switch them on for themselves.
    for (String window : new String[] {"per-minute", "per-hour"}) {
      settings.put("troupe.rate-limits." + window, "off");
      for (String cls : new String[] {"model_running", "deconfliction", "reads", "admin"}) {
        settings.put("troupe.rate-limits.classes." + cls + "." + window, "off");
      }
    }
    settings.put("troupe.http-port", ports.http());
    settings.put("troupe.cluster-port", ports.cluster());
    settings.put("troupe.management-port", ports.management());
    settings.put("troupe.seed-nodes", String.join(",", seeds));
    settings.put("troupe.metrics.cluster-poll-interval", "1s");
    settings.put("pekko.cluster.split-brain-resolver.stable-after", "3s");
    // Gossip and leader actions five times as often as by default: a node joins, and a node
    // that leaves is Removed, in a fraction of a second instead of a few (failure detection unchanged).
    settings.put("pekko.cluster.gossip-interval", "200ms");
    settings.put("pekko.cluster.leader-actions-interval", "200ms");
    settings.put("pekko.cluster.periodic-tasks-initial-delay", "200ms");
    // A leaving node's singletons (every shard coordinator, every daemon process) retry their
    // hand-over once a second by default, which made each node's stop take 1.2 s; 0.35 s with this.
    settings.put("pekko.cluster.singleton.hand-over-retry-interval", "200ms");
    settings.put("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off");
    settings.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    settings.putAll(extra);
    return ConfigFactory.parseMap(settings).withFallback(TestDatabase.nodeConfig(db));
  }
}
