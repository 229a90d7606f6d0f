package io.troupe.http;

import io.troupe.agents.DomainEntities;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A whole node in this JVM, wired exactly as {@link Main} wires it, on free ports. */
public final class RunningNode implements AutoCloseable {

  public final TroupeNode node;
  public final TestNodes.Ports ports;
  public final HttpClientForTests http;

  private RunningNode(TroupeNode node, TestNodes.Ports ports) {
    this.node = node;
    this.ports = ports;
    this.http = new HttpClientForTests("http://127.0.0.1:" + ports.http());
  }

  public static RunningNode start(DatabaseTarget db, TestNodes.Ports ports, List<String> seeds, Map<String, Object> extra)
      throws Exception {
    TroupeNode node = TroupeNode.start(TestNodes.config(db, ports, seeds, extra), DomainEntities.ALL, DomainEntities.TOOLS);
    try {
      TroupeServer.start(node);
    } catch (Exception e) {
      node.close();
      throw e;
    }
    return new RunningNode(node, ports);
  }

  public static RunningNode startAlone(DatabaseTarget db) throws Exception {
    RunningNode n = start(db, TestNodes.Ports.free(), List.of(), Map.of());
    n.awaitReady(Duration.ofSeconds(60));
    return n;
  }

  /** Waits (bounded) until GET /health/ready answers 200. */
  public void awaitReady(Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      try {
        if (http.get("/health/ready").status() == 200) {
          return;
        }
      } catch (RuntimeException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError("node on port " + ports.http() + " not ready within " + timeout);
  }

  @Override
  public void close() {
    node.close();
  }
}
