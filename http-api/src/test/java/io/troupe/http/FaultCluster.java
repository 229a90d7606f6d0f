package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.TestNodes;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A three-node cluster of real processes for the fault test: the shared embedded PostgreSQL
 * ({@code EmbeddedDatabaseMain}), three node processes of the packaged jar, and nginx in front of
 * them when {@code nginx} is on the PATH. Everything listens on loopback; {@link #close()} stops
 * every process it started, by its own handle.
 */
final class FaultCluster implements AutoCloseable {

  static final int SIZE = 3;
  private static final Duration READY = Duration.ofSeconds(150);

  final Path work;
  final TestNodes.Ports[] ports = new TestNodes.Ports[SIZE];
  final NodeProcess[] nodes = new NodeProcess[SIZE];
  private final Map<String, String> env = new HashMap<>();
  /**
   * The loopback cluster's failover settings, as -D options: cluster-config's loopback.conf (which
   * says why they are what they are) is the one place they are written.
   */
  static final java.util.List<String> LOOPBACK = com.typesafe.config.ConfigFactory.parseResources("loopback.conf").resolve()
      .entrySet().stream().map(e -> "-D" + e.getKey() + "=" + e.getValue().unwrapped()).sorted().toList();
  private Process database;
  private Path databaseDir;
  private Process nginx;
  private int nginxPort = -1;
  private int restarts;

  FaultCluster(Path work, Map<String, String> extraEnv) {
    this.work = work;
    env.putAll(extraEnv);
    for (int i = 0; i < SIZE; i++) {
      ports[i] = TestNodes.Ports.free();
    }
  }

  /**
   * Starts the database, then all three nodes at once, as a deployment would (the others retry
   * joining node 1, the seed, until it is up; Flyway lets one of them migrate the schema); waits
   * until all are ready and Up.
   */
  void start() throws Exception {
    String url = startDatabase();
    env.put("TROUPE_DB_URL", url);
    env.put("TROUPE_DB_USER", "postgres");
    env.put("TROUPE_SEED_NODES", "127.0.0.1:" + ports[0].cluster());
    // Quotas are per user and the load runs as one: its probes start sessions every 200 ms.
    env.put("TROUPE_QUOTA_CONCURRENT_SESSIONS", "1000");
    for (int i = 0; i < SIZE; i++) {
      nodes[i] = startNode(i);
    }
    for (int i = 0; i < SIZE; i++) {
      nodes[i].awaitReady(READY);
    }
    awaitUpMembers(SIZE, Duration.ofSeconds(60));
  }

  private NodeProcess startNode(int i) throws IOException {
    Path dataDir = work.resolve("node" + (i + 1));
    Path log = work.resolve("node" + (i + 1) + (restarts == 0 ? "" : "-restart" + restarts) + ".log");
    // The JVM's own defaults, as deployed: this test's load and failover figures go in BENCHMARKS.md.
    return NodeProcess.start(dataDir, ports[i], env, log, LOOPBACK);
  }

  private String startDatabase() throws Exception {
    databaseDir = work.resolve("db");
    Path log = work.resolve("db.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-cp", NodeProcess.jar().toString(),
        "io.troupe.runtime.db.EmbeddedDatabaseMain")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("TROUPE_"));
    builder.environment().put("TROUPE_DATA_DIR", databaseDir.toString());
    builder.environment().put("TROUPE_EMBEDDED_DB_PORT", Integer.toString(TestNodes.freePort()));
    database = builder.start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
    while (Instant.now().isBefore(deadline)) {
      String out = Files.exists(log) ? Files.readString(log) : "";
      for (String line : out.split("\n")) {
        if (line.startsWith("READY ")) {
          return line.substring("READY ".length()).trim();
        }
      }
      if (!database.isAlive()) {
        throw new AssertionError("database exited with " + database.exitValue() + ":\n" + out);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("database not READY within 120 s:\n" + Files.readString(log));
  }

  /** SIGKILL (no shutdown of any kind) of node {@code i}, zero-based. */
  void kill(int i) throws InterruptedException {
    nodes[i].process.destroyForcibly();
    if (!nodes[i].process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("node " + (i + 1) + " still alive 10 s after SIGKILL");
    }
  }

  /** Starts node {@code i} again on the same ports with the same environment, and waits until it is ready. */
  void restart(int i) throws Exception {
    restarts++;
    nodes[i] = startNode(i);
    nodes[i].awaitReady(READY);
  }

  /** The member status of each node (by cluster port) as node {@code viewer} sees it, and the unreachable ports. */
  record Membership(Map<Integer, String> status, List<Integer> unreachable) {
    long up() {
      return status.values().stream().filter("Up"::equals).count();
    }
  }

  /** pekko-management's /cluster/members on node {@code viewer}: no sharding query, so it answers at once. */
  Membership membership(int viewer) {
    HttpClientForTests mgmt = new HttpClientForTests("http://127.0.0.1:" + ports[viewer].management());
    HttpClientForTests.Answer answer = mgmt.get("/cluster/members");
    if (answer.status() != 200) {
      throw new IllegalStateException("members: " + answer.status() + " " + answer.body());
    }
    JsonNode json = answer.json();
    Map<Integer, String> status = new HashMap<>();
    json.path("members").forEach(m -> status.put(port(m.path("node").asText()), m.path("status").asText()));
    List<Integer> unreachable = new ArrayList<>();
    json.path("unreachable").forEach(u -> unreachable.add(port(u.path("node").asText())));
    return new Membership(status, unreachable);
  }

  static int port(String address) {
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1).replaceAll("[^0-9]", ""));
  }

  void awaitUpMembers(int count, Duration timeout) {
    Eventually.await(timeout, count + " members Up, none unreachable", () -> {
      Membership m = membership(0);
      return m.up() == count && m.unreachable().isEmpty() ? Optional.of(true) : Optional.empty();
    });
  }

  /** Shards per entity type that node {@code i} hosts, as GET /api/v1/cluster on node {@code viewer} shows. */
  Map<String, Integer> shardsHostedBy(int viewer, int i) {
    HttpClientForTests.Answer answer = nodes[viewer].http.get("/api/v1/cluster");
    if (answer.status() != 200) {
      throw new IllegalStateException("cluster: " + answer.status() + " " + answer.body());
    }
    Map<String, Integer> shards = new HashMap<>();
    answer.json().path("sharding").fields().forEachRemaining(node -> {
      if (port(node.getKey()) == ports[i].cluster()) {
        node.getValue().fields().forEachRemaining(type -> shards.put(type.getKey(), type.getValue().path("shards").asInt()));
      }
    });
    return shards;
  }

  // ---- nginx ----

  /** nginx from the PATH, unless -Dtroupe.fault.nginx=false. */
  static Optional<Path> nginxOnPath() {
    if (!Boolean.parseBoolean(System.getProperty("troupe.fault.nginx", "true"))) {
      return Optional.empty();
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "nginx");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static Path template() {
    for (String p : List.of("../cluster-config/nginx/troupe-nginx.conf.template", "cluster-config/nginx/troupe-nginx.conf.template")) {
      if (Files.exists(Path.of(p))) {
        return Path.of(p);
      }
    }
    throw new AssertionError("nginx template not found from " + Path.of("").toAbsolutePath());
  }

  /** Renders the template for the three nodes and starts nginx in the foreground; answers its base URL. */
  String startNginx(Path binary) throws Exception {
    Path run = Files.createTempDirectory("troupe-fault-nginx");
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x")); // worker user reads temp dirs
    nginxPort = TestNodes.freePort();
    StringBuilder upstreams = new StringBuilder();
    for (TestNodes.Ports p : ports) {
      upstreams.append("    server 127.0.0.1:").append(p.http()).append(" max_fails=1 fail_timeout=5s;\n");
    }
    StringBuilder conf = new StringBuilder();
    for (String line : Files.readAllLines(template())) {
      conf.append(line.stripLeading().startsWith("#") ? line // the header comment names the placeholders too
          : line.replace("{{LISTEN}}", "127.0.0.1:" + nginxPort)
              .replace("{{UPSTREAMS}}", upstreams.toString().stripTrailing())
              .replace("{{RUN_DIR}}", run.toString())).append('\n');
    }
    Path confFile = run.resolve("nginx.conf");
    Files.writeString(confFile, conf.toString());
    nginx = new ProcessBuilder(binary.toString(), "-e", run.resolve("nginx-error.log").toString(),
        "-c", confFile.toString(), "-p", run.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("nginx.log").toFile()))
        .start();
    HttpClientForTests http = new HttpClientForTests("http://127.0.0.1:" + nginxPort);
    Eventually.await(Duration.ofSeconds(20), "nginx answers", () -> {
      if (!nginx.isAlive()) {
        throw new AssertionError("nginx exited with " + nginx.exitValue() + "; see " + work.resolve("nginx.log"));
      }
      return http.get("/health/live").status() == 200 ? Optional.of(true) : Optional.empty();
    });
    return http.base;
  }

  // ---- cleanup ----

  @Override
  public void close() {
    if (nginx != null) {
      stop(nginx, "nginx", true);
    }
    for (NodeProcess node : nodes) {
      if (node != null && node.process.isAlive()) {
        node.process.destroyForcibly();
        waitQuietly(node.process, 20);
      }
    }
    if (database != null) {
      stop(database, "database", true);
      stopOrphanedPostgres();
    }
  }

  /** SIGTERM, bounded wait, then SIGKILL of the process and of whatever descendants it still has. */
  private static void stop(Process process, String what, boolean gentleFirst) {
    List<ProcessHandle> children = process.descendants().toList();
    if (gentleFirst && process.isAlive()) {
      process.destroy();
      waitQuietly(process, 30);
    }
    if (process.isAlive()) {
      System.out.println("[fault] " + what + " did not stop on SIGTERM; killing it");
      process.destroyForcibly();
      waitQuietly(process, 10);
    }
    for (ProcessHandle child : children) {
      if (child.isAlive()) {
        child.destroyForcibly();
      }
    }
  }

  /** PostgreSQL detaches from its launcher (pg_ctl): if its postmaster outlived the launcher, stop it by its pid. */
  private void stopOrphanedPostgres() {
    try (var files = Files.walk(databaseDir, 3)) {
      for (Path pidFile : files.filter(f -> f.getFileName().toString().equals("postmaster.pid")).toList()) {
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        ProcessHandle.of(pid).ifPresent(h -> {
          System.out.println("[fault] stopping leftover postgres " + pid);
          h.destroy();
          h.onExit().orTimeout(20, TimeUnit.SECONDS).exceptionally(e -> {
            h.destroyForcibly();
            return h;
          }).join();
        });
      }
    } catch (IOException | RuntimeException e) {
      System.out.println("[fault] leftover postgres check: " + e);
    }
  }

  private static void waitQuietly(Process process, int seconds) {
    try {
      process.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
