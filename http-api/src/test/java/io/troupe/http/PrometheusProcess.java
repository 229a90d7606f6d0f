package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.TestNodes;
import java.io.File;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus (the system's package) on a free loopback port, started with the shipped
 * configuration rendered for the test's nodes, plus the system's promtool. Neither is optional:
 * CI installs them (.ci/run), so a missing binary fails the test with a message saying so.
 */
final class PrometheusProcess implements AutoCloseable {

  private final Process process;
  private final Path dir;
  final HttpClientForTests http;

  private PrometheusProcess(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.http = new HttpClientForTests("http://127.0.0.1:" + port);
  }

  /** The executable {@code name} on PATH; fails (never skips) when it is not installed. */
  static Path binary(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (!dir.isEmpty() && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(name + " is not installed (not on PATH). The monitoring proof needs a real Prometheus: "
        + "CI installs it in .ci/run; locally run `apt-get install prometheus` (Debian/Ubuntu) and run the test again.");
  }

  /**
   * The shipped monitoring/prometheus/prometheus.yml with only its targets replaced by {@code targets}
   * and, when given, its scrape and evaluation intervals by {@code interval}; the rule files are
   * copied beside it unchanged, so the relative rule path still resolves.
   */
  static Path renderConfig(Path dir, List<String> targets, Optional<String> interval) throws IOException {
    Path shipped = MonitoringFiles.prometheusDir().resolve("prometheus.yml");
    String config = Files.readString(shipped);
    String shippedTargets = "[\"127.0.0.1:8081\", \"127.0.0.1:8082\", \"127.0.0.1:8083\"]";
    config = replaceOnce(config, shippedTargets,
        "[" + String.join(", ", targets.stream().map(t -> "\"" + t + "\"").toList()) + "]");
    if (interval.isPresent()) {
      config = replaceOnce(config, "scrape_interval: 5s", "scrape_interval: " + interval.get());
      config = replaceOnce(config, "evaluation_interval: 5s", "evaluation_interval: " + interval.get());
      config = replaceOnce(config, "scrape_timeout: 4s", "scrape_timeout: " + interval.get());
    }
    Files.createDirectories(dir.resolve("rules"));
    try (Stream<Path> rules = Files.list(MonitoringFiles.prometheusDir().resolve("rules"))) {
      for (Path rule : rules.toList()) {
        Files.copy(rule, dir.resolve("rules").resolve(rule.getFileName()));
      }
    }
    Path rendered = dir.resolve("prometheus.yml");
    Files.writeString(rendered, config);
    return rendered;
  }

  private static String replaceOnce(String text, String what, String with) {
    int at = text.indexOf(what);
    if (at < 0 || text.indexOf(what, at + 1) >= 0) {
      throw new AssertionError("the shipped prometheus.yml no longer holds exactly one `" + what + "`; update the test's rendering");
    }
    return text.replace(what, with);
  }

  /** Starts Prometheus on {@code config} and waits (bounded) until it is ready. */
  static PrometheusProcess start(Path config) throws Exception {
    Path dir = config.getParent();
    int port = TestNodes.freePort();
    Process p = new ProcessBuilder(binary("prometheus").toString(),
        "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--storage.tsdb.retention.time=1h")
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    PrometheusProcess prometheus = new PrometheusProcess(p, dir, port);
    try {
      Eventually.await(Duration.ofSeconds(30), "Prometheus ready on port " + port, () -> {
        if (!p.isAlive()) {
          throw new AssertionError("Prometheus exited " + p.exitValue() + ":\n" + prometheus.log());
        }
        return prometheus.http.get("/-/ready").status() == 200 ? Optional.of(true) : Optional.empty();
      });
    } catch (AssertionError e) {
      prometheus.close();
      throw e;
    }
    return prometheus;
  }

  /** An instant query: {@code data} of a successful answer; fails with Prometheus's error otherwise. */
  JsonNode query(String promql) {
    HttpClientForTests.Answer answer = http.get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    JsonNode body;
    try {
      body = answer.json();
    } catch (AssertionError notJson) {
      throw new AssertionError("HTTP " + answer.status() + " for " + promql + ": " + answer.body());
    }
    if (answer.status() != 200 || !"success".equals(body.path("status").asText())) {
      throw new AssertionError("HTTP " + answer.status() + " " + body.path("errorType").asText() + ": "
          + body.path("error").asText() + " for " + promql);
    }
    return body.get("data");
  }

  /** The single value of a scalar-valued instant vector query, or NaN when it has no result. */
  double value(String promql) {
    JsonNode result = query(promql).get("result");
    return result.isEmpty() ? Double.NaN : Double.parseDouble(result.get(0).get("value").get(1).asText());
  }

  String log() {
    try {
      return Files.readString(dir.resolve("prometheus.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Runs promtool with {@code args} (bounded); answers exit code and output. */
  static Result promtool(Duration timeout, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(binary("promtool").toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("promtool", ".log");
    try {
      Process p = new ProcessBuilder(command).directory(MonitoringFiles.monitoringDir().getParent().toFile())
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        return new Result(-1, "timed out after " + timeout + ": " + Files.readString(out));
      }
      return new Result(p.exitValue(), Files.readString(out));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  record Result(int exit, String output) {}

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
