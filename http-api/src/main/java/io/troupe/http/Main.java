package io.troupe.http;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.troupe.agents.DomainEntities;
import io.troupe.runtime.node.TroupeNode;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Starts a Troupe node: {@code java -jar http-api/target/troupe.jar}. Configuration comes from
 * TROUPE_* environment variables (defaults in each module's reference.conf; see the README).
 *
 * <p>SIGTERM and SIGINT are handled here rather than by the JVM's shutdown hooks: the embedded
 * PostgreSQL library registers a hook of its own that would stop the database while the cluster
 * is still leaving and the journal still writing. Here the order is fixed: coordinated shutdown
 * (leave the cluster, unbind HTTP, stop the actor system), then the database, then exit. The same
 * path runs when the node is downed by the Split Brain Resolver.
 */
public final class Main {

  static {
    // On a machine with 2 CPUs or fewer the JDK's common pool has parallelism 1, and
    // CompletableFuture then runs every async task on a new thread. The stages Pekko's Java API
    // returns run even plain thenApply callbacks that way, so every HTTP request would start a
    // thread. Must be set before anything touches ForkJoinPool.commonPool(); an explicit
    // -D on the command line wins.
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
          Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
  }

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    TroupeNode node;
    try {
      // The edge's settings (its HTTPS keystore among them) are checked before the node starts,
      // joins the cluster and takes shards it would hand back at once.
      HttpSettings.from(ConfigFactory.load());
      node = TroupeNode.start(ConfigFactory.empty(), DomainEntities.ALL, DomainEntities.TOOLS);
    } catch (ConfigException e) {
      // A setting is wrong: its message names the key and where it came from; a trace adds nothing.
      log.error("Troupe node refuses to start: {}", e.getMessage());
      System.exit(1);
      return;
    } catch (Exception e) {
      log.error("Troupe node failed to start: {}", e.getMessage(), e);
      System.exit(1);
      return;
    }
    try {
      TroupeServer.start(node);
    } catch (Exception e) {
      log.error("Troupe HTTP edge failed to start on port {}: {}", node.settings().httpPort(), e.getMessage(), e);
      node.close();
      System.exit(1);
      return;
    }
    node.system().getWhenTerminated().thenRunAsync(() -> {
      node.close();
      log.info("Troupe node stopped");
      System.exit(0);
    }, runnable -> new Thread(runnable, "troupe-exit").start());
    Signal.handle(new Signal("TERM"), signal -> stop(node, "SIGTERM"));
    Signal.handle(new Signal("INT"), signal -> stop(node, "SIGINT"));
  }

  private static void stop(TroupeNode node, String signal) {
    log.info("{} received: leaving the cluster and stopping", signal);
    CoordinatedShutdown.get(node.system()).runAll(CoordinatedShutdown.jvmExitReason());
  }
}
