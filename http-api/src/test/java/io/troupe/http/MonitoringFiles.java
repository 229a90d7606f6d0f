package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The shipped monitoring files (monitoring/grafana, monitoring/prometheus) and what the tests read from them. */
final class MonitoringFiles {

  private MonitoringFiles() {}

  /** One query of a dashboard panel. */
  record PanelQuery(String dashboard, String panel, String refId, String expr) {
    String where() {
      return dashboard + " / " + panel + " / " + refId;
    }
  }

  /** The repository's monitoring/ directory, found from the working directory (a module's or the root). */
  static Path monitoringDir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("monitoring/grafana/dashboards"))) {
        return p.resolve("monitoring");
      }
    }
    throw new AssertionError("monitoring/grafana/dashboards not found above " + Path.of("").toAbsolutePath());
  }

  static Path prometheusDir() {
    return monitoringDir().resolve("prometheus");
  }

  /** Every dashboard JSON, by file name. */
  static Map<String, JsonNode> dashboards() {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(monitoringDir().resolve("grafana/dashboards"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        out.put(f.getFileName().toString(), Json.MAPPER.readTree(f.toFile()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (out.isEmpty()) {
      throw new AssertionError("no dashboards in " + monitoringDir().resolve("grafana/dashboards"));
    }
    return out;
  }

  /** Every target of every panel (rows' nested panels too) of every dashboard. */
  static List<PanelQuery> panelQueries() {
    List<PanelQuery> out = new ArrayList<>();
    dashboards().forEach((file, dashboard) -> collect(file, dashboard.path("panels"), out));
    return out;
  }

  private static void collect(String file, JsonNode panels, List<PanelQuery> out) {
    for (JsonNode panel : panels) {
      collect(file, panel.path("panels"), out);
      for (JsonNode target : panel.path("targets")) {
        out.add(new PanelQuery(file, panel.path("title").asText(), target.path("refId").asText(), target.path("expr").asText()));
      }
    }
  }

  /** A panel query as Grafana would send it with every node selected and the given intervals. */
  static String substitute(String expr, String rateInterval, String interval) {
    return expr.replace("$__rate_interval", rateInterval).replace("$__interval", interval).replace("$instance", ".*");
  }

  private static final Pattern METRIC = Pattern.compile(
      "\\b((?:embm|troupe|http|jvm|process|api|auth|permission|rate_limited|budget|audit)_[a-z0-9_]+)\\b");

  /** The Troupe (seed, troupe_ and governance), HTTP and JVM metric names (sample names) an expression reads. */
  static List<String> metricNames(String expr) {
    List<String> names = new ArrayList<>();
    Matcher m = METRIC.matcher(expr);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** Every alert and recording rule expression of the shipped rule files, by rule name. */
  static Map<String, String> ruleExpressions() {
    Map<String, String> out = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(prometheusDir().resolve("rules"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yml")).sorted().toList()) {
        // The rule files are YAML; expressions are either one line or a block after "expr: |".
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i).trim();
          if (line.startsWith("- alert:") || line.startsWith("- record:")) {
            String name = line.substring(line.indexOf(':') + 1).trim();
            String expr = lines.get(i + 1).trim();
            if (!expr.startsWith("expr:")) {
              throw new AssertionError(f + ": expr must follow " + name);
            }
            StringBuilder text = new StringBuilder(expr.substring(5).trim());
            if (text.toString().equals("|")) {
              text.setLength(0);
              for (int j = i + 2; j < lines.size() && lines.get(j).startsWith("          "); j++) {
                text.append(lines.get(j).trim()).append(' ');
              }
            }
            out.put(name, text.toString().trim());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
