package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.troupe.runtime.FromNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scrapes one node's /metrics: every metric family that DESIGN.md and the README's metrics table
 * name is there with its type; names and labels follow Prometheus conventions and the README's
 * naming rule; and every metric the shipped dashboards and alert rules read is one the node exports.
 */
@RunningNodeTest
class MetricsHygieneTest {

  /** The metric API: DESIGN.md's Metrics section and the README's table, with each family's type. */
  private static final Map<String, String> FAMILIES = new LinkedHashMap<>();

  static {
    // DESIGN.md
    for (String counter : List.of("embm_deconfliction_requests_total", "embm_deconfliction_approvals_total",
        "embm_deconfliction_denials_total", "embm_agent_sessions_total", "embm_agent_tool_calls_total",
        "embm_llm_requests_total", "embm_llm_cache_hits_total", "embm_llm_cache_misses_total", "embm_llm_tokens_total",
        "embm_roe_violations_total", "embm_roe_checks_total", "embm_broker_messages_published_total",
        "http_requests_total", "process_cpu_seconds_total")) {
      FAMILIES.put(counter, "counter");
    }
    for (String histogram : List.of("embm_deconfliction_duration_seconds", "embm_agent_duration_seconds",
        "embm_agent_iterations", "embm_llm_duration_seconds", "http_request_duration_seconds")) {
      FAMILIES.put(histogram, "histogram");
    }
    FAMILIES.put("embm_active_agents", "gauge");
    FAMILIES.put("embm_broker_subscriber_lag_messages", "gauge"); // "delivery lag"
    FAMILIES.put("troupe_cluster_members", "gauge"); // members by status
    FAMILIES.put("troupe_cluster_unreachable_members", "gauge");
    FAMILIES.put("troupe_sharding_shards", "gauge"); // shards and entities per region
    FAMILIES.put("troupe_sharding_entities", "gauge");
    FAMILIES.put("jvm_memory_bytes_used", "gauge"); // JVM (hotspot)
    FAMILIES.put("jvm_gc_collection_seconds", "summary");
    FAMILIES.put("jvm_threads_current", "gauge");
    // README only
    FAMILIES.put("embm_broker_publish_duration_seconds", "histogram");
    FAMILIES.put("embm_broker_live_streams", "gauge");
    FAMILIES.put("embm_deconfliction_preemptions_total", "counter");
    FAMILIES.put("embm_active_allocations", "gauge");
    FAMILIES.put("troupe_cluster_is_leader", "gauge");
    // Governance (issue 7's names)
    FAMILIES.put("auth_attempts_total", "counter");
    FAMILIES.put("permission_checks_total", "counter");
    FAMILIES.put("audit_entries_dropped_total", "counter");
    FAMILIES.put("rate_limited_requests_total", "counter");
    FAMILIES.put("api_cost_dollars_total", "counter");
    FAMILIES.put("budget_rejections_total", "counter");
  }

  /**
   * Names published before the naming rule, kept as they are (README, Metrics): the seeds' embm_
   * families, the HTTP pair the design names, and the governance families of issue 7.
   */
  private static final Set<String> GRANDFATHERED = Set.of("embm_broker_messages_published_total",
      "embm_broker_publish_duration_seconds", "embm_broker_live_streams", "embm_broker_subscriber_lag_messages",
      "embm_agent_sessions_total", "embm_agent_duration_seconds", "embm_agent_iterations", "embm_agent_tool_calls_total",
      "embm_active_agents", "embm_llm_requests_total", "embm_llm_duration_seconds", "embm_llm_tokens_total",
      "embm_llm_cache_hits_total", "embm_llm_cache_misses_total", "embm_deconfliction_requests_total",
      "embm_deconfliction_approvals_total", "embm_deconfliction_denials_total", "embm_deconfliction_preemptions_total",
      "embm_deconfliction_duration_seconds", "embm_roe_checks_total", "embm_roe_violations_total",
      "embm_active_allocations", "http_requests_total", "http_request_duration_seconds", "auth_attempts_total",
      "permission_checks_total", "rate_limited_requests_total", "api_cost_dollars_total", "budget_rejections_total",
      "audit_entries_dropped_total");

  /** The naming rule for every other family: troupe_<area>_<what>_<unit>, lower snake_case. */
  private static final Pattern NAMING_RULE = Pattern.compile("troupe_[a-z][a-z0-9]*(_[a-z][a-z0-9]*)+");
  private static final Pattern NON_BASE_UNIT = Pattern.compile(
      ".*_(milliseconds|microseconds|nanoseconds|ms|millis|minutes|hours|days|kilobytes|megabytes|gigabytes|percent)(_total)?");

  /** Label names that would carry unbounded values (ids, raw paths, user input). */
  private static final Set<String> UNBOUNDED_LABELS = Set.of("id", "session_id", "sessionid", "topic", "topic_name",
      "user", "user_id", "path", "url", "uri", "message", "input", "error", "allocation_id", "asset_rid", "request_id");

  private static final Pattern TYPE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");
  private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? \\S+$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");

  @FromNode private static RunningNode node;
  private static String text;
  private static Map<String, String> types;

  @BeforeAll
  static void scrape() throws Exception {
    // One publish and one decision, so the labelled families have children and their labels are checked.
    BrokerCalls.publish(node.http, "hygiene", "1");
    SpectrumCalls.decide(node.http, SpectrumCalls.request("t-hygiene", "a", 1000));
    HttpClientForTests.Answer answer = node.http.get("/metrics");
    assertEquals(200, answer.status());
    assertTrue(answer.contentType().startsWith("text/plain"), answer.contentType());
    text = answer.body();
    types = new HashMap<>();
    Matcher m = TYPE.matcher(text);
    while (m.find()) {
      types.put(m.group(1), m.group(2));
    }
  }

  @Test
  void everyNamedFamilyIsExportedWithItsType() {
    List<String> wrong = new ArrayList<>();
    FAMILIES.forEach((family, type) -> {
      if (!type.equals(types.get(family))) {
        wrong.add(family + ": expected " + type + ", found " + types.getOrDefault(family, "nothing"));
      }
    });
    assertTrue(wrong.isEmpty(), "metric families missing or of the wrong type:\n" + String.join("\n", wrong));
  }

  @Test
  void namesAndLabelsFollowPrometheusConventions() {
    List<String> wrong = new ArrayList<>();
    types.forEach((family, type) -> {
      if (!family.matches("[a-z_][a-z0-9_]*")) {
        wrong.add(family + ": not snake_case");
      }
      boolean counter = type.equals("counter");
      if (counter != family.endsWith("_total")) {
        wrong.add(family + " (" + type + "): only counters, and every counter, end in _total");
      }
      if (family.matches(".*(duration|latency|time).*") && !family.matches(".*_seconds(_total)?")
          && !family.endsWith("_created")) {
        wrong.add(family + ": a time must be in seconds, named _seconds");
      }
    });
    Matcher m = SAMPLE.matcher(text);
    Set<String> labelNames = new HashSet<>();
    while (m.find()) {
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labelNames.add(l.group(1));
          if (UNBOUNDED_LABELS.contains(l.group(1).toLowerCase())) {
            wrong.add(m.group(1) + ": label " + l.group(1) + " would be unbounded");
          }
        }
      }
    }
    assertTrue(labelNames.contains("route") && labelNames.contains("priority"), "labelled samples were scraped: " + labelNames);
    assertFalse(text.contains("route=\"/api/v1/topics/hygiene"), "a raw path became a label value");
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void everyNameOutsideThePublishedOnesFollowsTheNamingRuleAndEveryFamilyIsDocumented() {
    List<String> wrong = new ArrayList<>();
    Set<String> documented = readmeFamilies();
    types.forEach((family, type) -> {
      if (family.startsWith("jvm_") || family.startsWith("process_") || isCreatedOf(family)) {
        return; // the JVM collectors' names, and the creation times simpleclient adds to counters and histograms
      }
      if (!documented.contains(family)) {
        wrong.add(family + ": exported but not in the README's Metrics table");
      }
      if (GRANDFATHERED.contains(family)) {
        return;
      }
      if (!NAMING_RULE.matcher(family).matches()) {
        wrong.add(family + ": a new name is troupe_<area>_<what>_<unit> (README, Metrics)");
      }
      if (NON_BASE_UNIT.matcher(family).matches()) {
        wrong.add(family + ": units are Prometheus base units (seconds, bytes; a ratio, not percent)");
      }
    });
    GRANDFATHERED.stream().filter(name -> !types.containsKey(name))
        .forEach(name -> wrong.add(name + ": listed as published but not exported any more: drop it from the list"));
    documented.stream().filter(name -> !types.containsKey(name))
        .forEach(name -> wrong.add(name + ": in the README's Metrics table but not exported"));
    assertTrue(documented.size() >= GRANDFATHERED.size(), "the README's table was read: " + documented);
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  /** The gauge simpleclient exports with each counter's and histogram's creation time. */
  private static boolean isCreatedOf(String family) {
    if (!family.endsWith("_created")) {
      return false;
    }
    String base = family.substring(0, family.length() - "_created".length());
    return "counter".equals(types.get(base + "_total")) || "histogram".equals(types.get(base))
        || "summary".equals(types.get(base));
  }

  /** The metric names of the README's Metrics table (the first cell of each row), JVM wildcards left out. */
  private static Set<String> readmeFamilies() {
    Path readme = MonitoringFiles.monitoringDir().getParent().resolve("README.md");
    Set<String> names = new HashSet<>();
    boolean inMetrics = false;
    try {
      for (String line : Files.readAllLines(readme)) {
        if (line.startsWith("## ")) {
          inMetrics = line.equals("## Metrics");
        } else if (inMetrics && line.startsWith("| `")) {
          Matcher name = Pattern.compile("`([a-z0-9_]+)`").matcher(line.substring(1, line.indexOf('|', 1)));
          while (name.find()) {
            names.add(name.group(1));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  @Test
  void dashboardsAndAlertsReadOnlyExportedMetricsAndFilterByTheNodeVariable() {
    Set<String> names = new HashSet<>();
    types.forEach((family, type) -> {
      names.add(family);
      if (type.equals("histogram") || type.equals("summary")) {
        names.addAll(List.of(family + "_bucket", family + "_sum", family + "_count"));
      }
    });
    List<String> wrong = new ArrayList<>();
    for (MonitoringFiles.PanelQuery q : MonitoringFiles.panelQueries()) {
      if (!q.expr().contains("instance=~\"$instance\"")) {
        wrong.add(q.where() + ": no instance=~\"$instance\" matcher: " + q.expr());
      }
      MonitoringFiles.metricNames(q.expr()).stream().filter(n -> !names.contains(n))
          .forEach(n -> wrong.add(q.where() + ": reads " + n + ", which no node exports"));
    }
    MonitoringFiles.ruleExpressions().forEach((rule, expr) -> MonitoringFiles.metricNames(expr).stream()
        .filter(n -> !names.contains(n)).forEach(n -> wrong.add("rule " + rule + ": reads " + n + ", which no node exports")));
    MonitoringFiles.dashboards().forEach((file, d) -> {
      Map<String, JsonNode> vars = new HashMap<>();
      d.path("templating").path("list").forEach(v -> vars.put(v.path("name").asText(), v));
      JsonNode ds = vars.get("datasource");
      JsonNode instance = vars.get("instance");
      if (ds == null || !ds.path("type").asText().equals("datasource") || !ds.path("query").asText().equals("prometheus")) {
        wrong.add(file + ": no datasource variable of type datasource (prometheus)");
      }
      if (instance == null || !instance.path("multi").asBoolean() || !instance.path("includeAll").asBoolean()
          || !instance.path("definition").asText().equals("label_values(up{job=\"troupe\"}, instance)")) {
        wrong.add(file + ": no multi, include-all instance variable over label_values(up{job=\"troupe\"}, instance)");
      }
      d.path("panels").forEach(panel -> {
        if (!panel.path("type").asText().equals("row")
            && !panel.path("datasource").path("uid").asText().equals("${datasource}")) {
          wrong.add(file + " / " + panel.path("title").asText() + ": datasource must be the ${datasource} variable");
        }
      });
      if (d.path("uid").asText().isBlank() || d.has("id") && !d.get("id").isNull()) {
        wrong.add(file + ": needs a uid and no id, to import and provision alike");
      }
    });
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    assertTrue(MonitoringFiles.ruleExpressions().size() >= 7, "alert rules read: " + MonitoringFiles.ruleExpressions().keySet());
  }
}
