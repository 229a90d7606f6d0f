package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fault test: three node processes sharing one PostgreSQL (and nginx in front when it is on
 * the PATH) under steady load — keyed publishes to ten topics, deconfliction requests, agent
 * sessions whose first tool is slow — while one node is killed with SIGKILL a third of the way
 * in and started again two thirds in. It measures the failover (until the Split Brain Resolver
 * downs the node, and until every topic, the theater and the agent answer again on the
 * survivors) and the rejoin, then checks that nothing acknowledged was lost or doubled.
 *
 * <p>{@code -Dtroupe.fault.seconds=N} shortens the load (default 60) for local runs;
 * {@code -Dtroupe.fault.nginx=false} leaves the balancer out even when nginx is installed.
 */
class ClusterFaultIT {

  private static final int KILLED = 1; // node 2; node 1 is the seed and the oldest member
  private static final Duration PHASE_LIMIT = Duration.ofSeconds(90);

  @Test
  @Timeout(value = 9, unit = TimeUnit.MINUTES)
  void acknowledgedWorkSurvivesASigkillUnderLoad() throws Exception {
    long loadSeconds = Long.getLong("troupe.fault.seconds", 60);
    Path work = Files.createTempDirectory("troupe-fault-it");
    System.out.println("[fault] work directory (logs): " + work);
    AtomicInteger slowHits = new AtomicInteger();
    ExecutorService slowThreads = Executors.newFixedThreadPool(32);
    HttpServer slow = slowServer(slowHits, slowThreads);
    ExecutorService probes = Executors.newFixedThreadPool(FaultLoad.TOPICS + 2);
    // The probes' requests: one per probe every 200 ms while earlier ones wait (at most the edge's
    // 15 s each), so up to ~75 per probe at once; bounded, a request that finds it full fails.
    ExecutorService attempts = new java.util.concurrent.ThreadPoolExecutor(0, 1000, 10, TimeUnit.SECONDS,
        new java.util.concurrent.SynchronousQueue<>());
    try (FaultCluster cluster = new FaultCluster(work, Map.of("TROUPE_HTTP_GET_ALLOWED_HOSTS", "127.0.0.1",
        // The slow server is on loopback, at a random port: both are refused unless allowed.
        "TROUPE_HTTP_GET_ALLOWED_ADDRESSES", "127.0.0.0/8", "TROUPE_HTTP_GET_ALLOWED_PORTS", "1-65535"))) {
      long setup = System.nanoTime();
      cluster.start();
      System.out.printf("[fault] database and 3 nodes ready, 3 members Up, in %.1f s%n", since(setup));
      List<FaultLoad.Target> targets = new ArrayList<>();
      for (int i = 0; i < FaultCluster.SIZE; i++) {
        targets.add(new FaultLoad.Target("node" + (i + 1), cluster.nodes[i].http));
      }
      Optional<Path> nginx = FaultCluster.nginxOnPath();
      if (nginx.isPresent()) {
        String base = cluster.startNginx(nginx.get());
        targets.add(new FaultLoad.Target("nginx", new HttpClientForTests(base)));
        System.out.println("[fault] nginx " + nginx.get() + " in front at " + base + ": part of the load goes through it");
      } else {
        System.out.println("[fault] nginx is not on the PATH: no balancer, load goes to the nodes directly");
      }
      String runId = Long.toString(System.currentTimeMillis(), 36);
      FaultLoad load = new FaultLoad(runId, targets);
      defineAgent(cluster.nodes[0].http, load.agent, slow.getAddress().getPort());

      long start = System.nanoTime();
      load.start(6, 250, 50);
      sleepUntil(start, loadSeconds / 3.0);
      cluster.kill(KILLED);
      long killAt = System.nanoTime();
      System.out.printf("[fault] SIGKILL node2 at %.1f s of load%n", (killAt - start) / 1e9);

      List<FaultLoad.Target> survivors = List.of(targets.get(0), targets.get(2));
      List<Future<FailoverProbe.Answering>> answered = new ArrayList<>();
      for (int t = 0; t < FaultLoad.TOPICS; t++) {
        String topic = FaultLoad.topic(t);
        int first = t;
        answered.add(probes.submit(() -> FailoverProbe.run(killAt, () -> {
          FaultLoad.Ack ack = load.publish(topic, survivors, first);
          return ack == null ? null : ack.endNanos();
        }, attempts, PHASE_LIMIT)));
      }
      answered.add(probes.submit(() -> FailoverProbe.run(killAt,
          () -> load.decide(survivors) ? System.nanoTime() : null, attempts, PHASE_LIMIT)));
      answered.add(probes.submit(() -> FailoverProbe.run(killAt,
          () -> load.startSession(survivors) ? System.nanoTime() : null, attempts, PHASE_LIMIT)));
      double downed = Eventually.await(PHASE_LIMIT, "node2 downed by the Split Brain Resolver", () -> {
        String status = cluster.membership(0).status().get(cluster.ports[KILLED].cluster());
        return status == null || status.equals("Down") || status.equals("Removed")
            ? Optional.of((System.nanoTime() - killAt) / 1e9) : Optional.empty();
      });
      double allAnswering = 0;
      double allSent = 0;
      Map<String, String> each = new java.util.TreeMap<>();
      for (int i = 0; i < answered.size(); i++) {
        FailoverProbe.Answering a = answered.get(i).get(PHASE_LIMIT.toSeconds() + 60, TimeUnit.SECONDS);
        String kind = i < FaultLoad.TOPICS ? "topic" + i : i == FaultLoad.TOPICS ? "theater" : "agent";
        each.put(kind, String.format("%.1f (sent %.1f; %d failed, slowest answer %.1f)", a.answeredAfter(),
            a.sentAfter(), a.failedBefore(), a.slowest()));
        allAnswering = Math.max(allAnswering, a.answeredAfter());
        if (a.answeredAfter() > 5) { // the aim: what kept this one, request by request (sent: latency, x failed)
          System.out.println("[fault]   " + kind + " until its run: " + a.timeline());
        }
        allSent = Math.max(allSent, a.sentAfter());
      }
      System.out.println("[fault] per probe, seconds from the kill until requests are served by their first ask"
          + " again (the first of " + FailoverProbe.RUN + " in a row served within " + FailoverProbe.PROMPT.toSeconds()
          + " s): " + each);
      System.out.printf("[fault] failover: downed after %.1f s, all shards answering after %.1f s"
          + " (requests sent from %.1f s on)%n", downed, allAnswering, allSent);
      cluster.awaitUpMembers(2, PHASE_LIMIT);

      sleepUntil(start, loadSeconds * 2 / 3.0);
      long restartAt = System.nanoTime();
      cluster.restart(KILLED);
      double ready = since(restartAt);
      cluster.awaitUpMembers(3, PHASE_LIMIT);
      double up = since(restartAt);
      Map<String, Integer> shards = Eventually.await(PHASE_LIMIT, "node2 hosts shards again", () -> {
        Map<String, Integer> hosted = cluster.shardsHostedBy(0, KILLED);
        return hosted.values().stream().anyMatch(n -> n > 0) ? Optional.of(hosted) : Optional.empty();
      });
      System.out.printf("[fault] rejoin: node2 ready %.1f s after its restart, Up after %.1f s, hosting shards %s after %.1f s%n",
          ready, up, shards, since(restartAt));

      sleepUntil(start, Math.max(loadSeconds, (System.nanoTime() - start) / 1e9 + 5));
      load.stop(60);
      double loadDuration = since(start);
      System.out.printf("[fault] load stopped after %.1f s%n", loadDuration);

      HttpClientForTests reader = cluster.nodes[0].http;
      awaitSessionsEnd(reader, load);
      FaultChecks checks = new FaultChecks(reader, load);
      checks.topics();
      checks.allocations();
      checks.sessions();
      checks.counts.put("slow tool requests served", (long) slowHits.get());
      report(load, killAt, start, loadDuration, checks);

      assertTrue(checks.failures.isEmpty(), () -> checks.failures.size() + " failures:\n  " + String.join("\n  ", checks.failures));
      // The loopback settings aim at 5 s (BENCHMARKS.md has the measured figures); the bound leaves
      // room for a slow CI machine, where a late answer is a slower failover, not lost work.
      assertTrue(allAnswering < 15, "every shard answers again within 15 s of the kill (aim: 5 s), took " + allAnswering);
      assertEquals(0, checks.counts.get("publishes unresolved after retries"));
      assertTrue(checks.counts.get("sessions COMPLETED") > 0, "sessions ran");
    } finally {
      probes.shutdownNow();
      attempts.shutdownNow();
      slow.stop(0);
      slowThreads.shutdownNow();
    }
  }

  private static void defineAgent(HttpClientForTests http, String name, int slowPort) {
    String script = "[{\"text\":\"Fetching.\",\"toolCalls\":[{\"name\":\"http_get\",\"arguments\":"
        + "{\"url\":\"http://127.0.0.1:" + slowPort + "/slow\"}}]},"
        + "{\"text\":\"Publishing.\",\"toolCalls\":[{\"name\":\"publish_to_topic\",\"arguments\":"
        + "{\"topic\":\"" + FaultLoad.sessionTopic() + "\",\"messageType\":\"done\",\"content\":{\"session\":\"fault\"}}}]},"
        + "{\"text\":\"Done.\"}]";
    AgentCalls.define(http, name, AgentCalls.scripted("Fault runner", List.of("http_get", "publish_to_topic"), script));
  }

  /** The slow tool: an HTTP server on loopback that answers after a second. */
  private static HttpServer slowServer(AtomicInteger hits, ExecutorService threads) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/slow", exchange -> {
      hits.incrementAndGet();
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] body = "slow answer".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.setExecutor(threads);
    server.start();
    return server;
  }

  private static void awaitSessionsEnd(HttpClientForTests http, FaultLoad load) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    for (String id : load.sessions) {
      while (System.nanoTime() < deadline) {
        HttpClientForTests.Answer a = http.get("/api/v1/sessions/" + id);
        if (a.status() == 200 && !"RUNNING".equals(a.json().path("status").asText())) {
          break;
        }
        sleep(200);
      }
    }
  }

  private static void report(FaultLoad load, long killAt, long start, double seconds, FaultChecks checks) {
    Map<String, int[]> byTarget = new java.util.TreeMap<>();
    int[] inFlight = new int[3]; // ok, error, refused
    Map<String, int[]> inFlightByKind = new java.util.TreeMap<>();
    for (FaultLoad.Attempt a : load.attempts) {
      int[] t = byTarget.computeIfAbsent(a.target(), k -> new int[3]);
      t[a.ok() ? 0 : a.refused() ? 2 : 1]++;
      if (a.sentNanos() < killAt && a.endNanos() > killAt) {
        inFlight[a.ok() ? 0 : a.refused() ? 2 : 1]++;
        inFlightByKind.computeIfAbsent(a.kind(), k -> new int[3])[a.ok() ? 0 : a.refused() ? 2 : 1]++;
      }
    }
    System.out.println("[fault] ---- results ----");
    byTarget.forEach((t, n) -> System.out.printf("[fault] attempts via %s: %d 2xx, %d errors, %d refused (%.1f 2xx/s)%n",
        t, n[0], n[1], n[2], n[0] / seconds));
    System.out.printf("[fault] in flight at the kill: %d, of which %d got a 2xx (checked durable below) and %d an error%n",
        inFlight[0] + inFlight[1] + inFlight[2], inFlight[0], inFlight[1] + inFlight[2]);
    inFlightByKind.forEach((k, n) -> System.out.printf("[fault]   %s: %d 2xx, %d errors%n", k, n[0], n[1] + n[2]));
    Map<String, Integer> errors = new java.util.TreeMap<>();
    load.attempts.stream().filter(a -> !a.ok())
        .forEach(a -> errors.merge(a.kind() + " " + (a.refused() ? "refused" : a.status() < 0 ? "no answer" : a.status()), 1, Integer::sum));
    System.out.println("[fault] failed attempts by kind and status: " + errors);
    checks.counts.forEach((k, v) -> System.out.printf("[fault] %s: %d%n", k, v));
    System.out.printf("[fault] whole run %.1f s of load; %d failures%n", seconds, checks.failures.size());
  }

  private static double since(long nanos) {
    return (System.nanoTime() - nanos) / 1e9;
  }

  private static void sleepUntil(long start, double seconds) {
    long wait = start + (long) (seconds * 1e9) - System.nanoTime();
    if (wait > 0) {
      sleep(wait / 1_000_000);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
