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
    return startAlone(db, Map.of());
  }

  /** A cluster of one with {@code extra} settings, ready. */
  public static RunningNode startAlone(DatabaseTarget db, Map<String, Object> extra) throws Exception {
    RunningNode n = start(db, TestNodes.Ports.free(), List.of(), extra);
    n.awaitReady(Duration.ofSeconds(60));
    return n;
  }

  /**
   * {@code size} nodes on one fresh database, the first one the seed, each with {@code extra}
   * settings; returns once every node is ready and sees {@code size} members Up (bounded).
   */
  public static List<RunningNode> cluster(int size, Map<String, Object> extra) throws Exception {
    DatabaseTarget db = io.troupe.runtime.TestDatabase.fresh();
    List<TestNodes.Ports> ports = new java.util.ArrayList<>();
    for (int i = 0; i < size; i++) {
      ports.add(TestNodes.Ports.free());
    }
    List<String> seeds = List.of(ports.get(0).seed());
    List<RunningNode> nodes = new java.util.ArrayList<>();
    try {
      for (TestNodes.Ports p : ports) {
        nodes.add(start(db, p, seeds, extra));
      }
      for (RunningNode n : nodes) {
        n.awaitReady(Duration.ofSeconds(60));
      }
      Eventually.await(Duration.ofSeconds(60), "every node sees " + size + " Up members", () ->
          nodes.stream().allMatch(n -> n.upMembers() == size) ? java.util.Optional.of(true) : java.util.Optional.empty());
      return nodes;
    } catch (Exception | AssertionError e) {
      nodes.forEach(RunningNode::close);
      throw e;
    }
  }

  /** Members this node sees with status up; -1 when it does not answer. */
  public int upMembers() {
    try {
      int up = 0;
      for (com.fasterxml.jackson.databind.JsonNode m : http.get("/api/v1/cluster").json().get("members")) {
        if ("up".equals(m.get("status").asText())) {
          up++;
        }
      }
      return up;
    } catch (RuntimeException | AssertionError e) {
      return -1;
    }
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
