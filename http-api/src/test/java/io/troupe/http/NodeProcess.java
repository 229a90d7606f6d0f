package io.troupe.http;

import io.troupe.runtime.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged jar running as a real node process, its output kept in a log file. */
public final class NodeProcess implements AutoCloseable {

  public final Process process;
  public final TestNodes.Ports ports;
  public final HttpClientForTests http;
  public final Path log;

  private NodeProcess(Process process, TestNodes.Ports ports, Path log) {
    this.process = process;
    this.ports = ports;
    this.log = log;
    this.http = new HttpClientForTests("http://127.0.0.1:" + ports.http());
  }

  public static Path jar() {
    Path jar = Path.of(System.getProperty("troupe.jar", "target/troupe.jar"));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " does not exist: process tests run after `mvn package`");
    }
    return jar;
  }

  public static NodeProcess start(Path dataDir, TestNodes.Ports ports, Map<String, String> env, Path log) throws IOException {
    return start(dataDir, ports, env, log, jvmOptions());
  }

  /** As {@link #start(Path, TestNodes.Ports, Map, Path)}, with these JVM options (beyond the heap bound). */
  public static NodeProcess start(Path dataDir, TestNodes.Ports ports, Map<String, String> env, Path log,
                                  List<String> jvmOptions) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx512m"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar().toString()));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> e = builder.environment();
    e.keySet().removeIf(k -> k.startsWith("TROUPE_"));
    e.put("TROUPE_DATA_DIR", dataDir.toString());
    e.put("TROUPE_ADMIN_TOKEN", io.troupe.runtime.TestNodes.ADMIN_TOKEN);
    // The load of the process tests runs with one key; no limit is what they test.
    e.put("TROUPE_RATE_LIMIT_PER_MINUTE", "0");
    e.put("TROUPE_RATE_LIMIT_PER_HOUR", "0");
    e.put("TROUPE_HTTP_PORT", Integer.toString(ports.http()));
    e.put("TROUPE_CLUSTER_PORT", Integer.toString(ports.cluster()));
    e.put("TROUPE_MANAGEMENT_PORT", Integer.toString(ports.management()));
    e.putAll(env);
    return new NodeProcess(builder.start(), ports, log);
  }

  /**
   * Extra JVM options for node processes, from {@code -Dtroupe.node.jvm} (the build passes the
   * test JVMs' options, see {@code troupe.test.jvm}; the fault test overrides it with none).
   */
  static List<String> jvmOptions() {
    String options = System.getProperty("troupe.node.jvm", "").strip();
    return options.isEmpty() ? List.of() : List.of(options.split("\\s+"));
  }

  /** Waits (bounded) until /health/ready answers 200; fails early if the process dies. */
  public void awaitReady(Duration timeout) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited with " + process.exitValue() + "; log:\n" + tail());
      }
      try {
        if (http.get("/health/ready").status() == 200) {
          return;
        }
      } catch (RuntimeException notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError("node not ready within " + timeout + "; log:\n" + tail());
  }

  /** Sends SIGTERM and waits (bounded) for the process to exit; returns its exit code. */
  public int terminate(Duration timeout) throws Exception {
    process.destroy(); // SIGTERM on Linux
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("node did not stop within " + timeout + " of SIGTERM; log:\n" + tail());
    }
    return process.exitValue();
  }

  public String tail() throws IOException {
    String all = Files.readString(log);
    return all.length() <= 6000 ? all : all.substring(all.length() - 6000);
  }

  /**
   * Stops the node if it still runs: SIGTERM first, so that it stops its embedded PostgreSQL too
   * (a SIGKILL left the stream benchmark's PostgreSQL running after the benchmark had ended), then
   * SIGKILL if it has not stopped within 30 s.
   */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

}
