package io.troupe.http;

import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.start;
import static io.troupe.http.AgentCalls.toolThenAnswer;
import static io.troupe.http.BrokerCalls.publish;
import static io.troupe.http.SpectrumCalls.decide;
import static io.troupe.http.SpectrumCalls.putRoe;
import static io.troupe.http.SpectrumCalls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.db.DatabaseTarget;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The monitoring proof: three in-JVM nodes wired as Main wires them, a real Prometheus (the
 * system's package) scraping them with the shipped configuration (targets rendered for the test's
 * ports; scrape and evaluation interval 1 s instead of the shipped 5 s, so the test is quick) and
 * the shipped alert rules; load through every capability; then every query of every panel of
 * every shipped dashboard, evaluated by Prometheus with the node variable set to all nodes, must
 * answer data. Also promtool: the shipped configuration and rules check, and the alerts pass their
 * unit tests. Prometheus missing is a failure, not a skip: CI installs it.
 *
 * <p>It needs no packaged jar, so it runs with the unit and cluster tests, side by side with
 * them, rather than after them with the process tests (which run one at a time): most of its
 * 25 s is waiting for scrapes.
 */
class MonitoringProofTest {

  /** $__rate_interval as Grafana would substitute it; long enough to span the whole load. */
  private static final String RATE_INTERVAL = "5m";
  private static final List<RunningNode> nodes = new ArrayList<>();
  private static InstantModel model;
  private static PrometheusProcess prometheus;
  private static Path dir;

  private static int published;
  private static int decisions;
  private static int sessions;
  private static long loadEndMillis;

  @BeforeAll
  static void startClusterAndPrometheus() throws Exception {
    PrometheusProcess.binary("prometheus"); // fail first, before a cluster is started, when it is missing
    model = new InstantModel();
    DatabaseTarget db = TestDatabase.fresh();
    List<TestNodes.Ports> ports = List.of(TestNodes.Ports.free(), TestNodes.Ports.free(), TestNodes.Ports.free());
    Map<String, Object> extra = Map.of("troupe.llm.openai.base-url", model.baseUrl(), "troupe.llm.max-attempts", 1);
    for (TestNodes.Ports p : ports) {
      nodes.add(RunningNode.start(db, p, List.of(ports.get(0).seed()), extra));
    }
    for (RunningNode n : nodes) {
      n.awaitReady(Duration.ofSeconds(60));
    }
    Eventually.await(Duration.ofSeconds(60), "every node sees three Up members", () ->
        nodes.stream().allMatch(n -> n.upMembers() == 3) ? Optional.of(true) : Optional.empty());

    dir = Files.createTempDirectory("troupe-prometheus");
    Path config = PrometheusProcess.renderConfig(dir,
        ports.stream().map(p -> "127.0.0.1:" + p.http()).toList(), Optional.of("1s"));
    prometheus = PrometheusProcess.start(config);
    Eventually.await(Duration.ofSeconds(30), "Prometheus scrapes all three nodes", () ->
        prometheus.value("count(up{job=\"troupe\"} == 1)") == 3 ? Optional.of(true) : Optional.empty());
    driveLoad();
  }

  @AfterAll
  static void stopAll() {
    if (prometheus != null) {
      prometheus.close();
    }
    nodes.forEach(RunningNode::close);
    if (model != null) {
      model.close();
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (java.io.IOException e) {
        System.err.println("could not remove " + dir + ": " + e);
      }
    }
  }

  /** Publishes, a subscribed agent, sessions with tools and model calls, and every kind of deconfliction decision. */
  private static void driveLoad() {
    // First one approval per theater: a labelled counter's series only exists from its first
    // increment, and Prometheus sees no rate until it has scraped the series twice, as it would
    // have on any cluster running for a while. The bulk of the decisions comes after that.
    for (int t = 0; t < 3; t++) {
      String theater = "mon-theater-" + t;
      putRoe(nodes.get(t).http, theater, "{\"restrictedBands\":[{\"minMhz\":2400,\"maxMhz\":2500,\"severity\":\"HIGH\"}],"
          + "\"powerLimits\":[{\"minMhz\":100,\"maxMhz\":200,\"maxPowerDbm\":30,\"severity\":\"MEDIUM\"}]}");
      assertEquals("APPROVED", decide(nodes.get(t).http, request(theater, "first", 900)).get("status").asText());
      decisions++;
    }
    // Broker: topics spread over the nodes, each written through every node.
    for (int i = 0; i < 36; i++) {
      publish(nodes.get(i % 3).http, "mon-topic-" + (i % 6), "{\"n\":" + i + "}");
      published++;
    }
    nodes.get(1).http.get("/api/v1/topics/mon-topic-0/messages?from=1&limit=10");

    // A subscribed agent: each message on its topic starts a session, acknowledged by its worker.
    ObjectNode listener = scripted("Listener", List.of(), "[{\"text\":\"Noted.\"}]");
    listener.putArray("subscriptions").add("mon-orders");
    define(nodes.get(0).http, "mon-listener", listener);
    for (int i = 0; i < 5; i++) {
      publish(nodes.get(i % 3).http, "mon-orders", "{\"order\":" + i + "}");
      published++;
    }
    sessions += 5;

    // Sessions calling a tool (scripted provider), started through every node.
    define(nodes.get(1).http, "mon-notifier", scripted("Notifier", List.of("publish_to_topic"), toolThenAnswer("Publishing.",
        "publish_to_topic", "{\"topic\":\"mon-alerts\",\"messageType\":\"alert\",\"content\":{\"level\":\"high\"}}", "Done.")));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(start(nodes.get(i % 3).http, "mon-notifier", "alert " + i));
    }
    ids.forEach(id -> awaitStatus(nodes.get(0).http, id, "COMPLETED"));
    sessions += 6;
    published += 6;

    // A session whose tool call waits for an approval, decided: the approval series begin here.
    ObjectNode careful = scripted("Careful", List.of("publish_to_topic"), toolThenAnswer("Publishing.",
        "publish_to_topic", "{\"topic\":\"mon-approved\",\"messageType\":\"note\",\"content\":{}}", "Done."));
    careful.putArray("approvalRequired").add("publish_to_topic");
    define(nodes.get(0).http, "mon-careful", careful);
    approveOne(nodes.get(0).http, "first", false);
    sessions++;
    published++;

    // Sessions on a real provider endpoint (the loopback stand-in) at temperature 0: the same input
    // again is answered from a node's response cache once a session of it ran on that node.
    ObjectNode summarizer = Json.MAPPER.createObjectNode().put("role", "Summarizer").put("provider", "openai")
        .put("model", "mon-model").put("temperature", 0.0);
    define(nodes.get(2).http, "mon-summarizer", summarizer);
    for (int i = 0; i < 8; i++) {
      awaitStatus(nodes.get(0).http, start(nodes.get(i % 3).http, "mon-summarizer", "summarize the day"), "COMPLETED");
      sessions++;
    }

    // Deconfliction in the three theaters: approvals, conflicts, ROE denials and a preemption.
    awaitScrapedTwiceSince(System.currentTimeMillis());
    for (int t = 0; t < 3; t++) {
      String theater = "mon-theater-" + t;
      HttpClientForTests http = nodes.get(t).http;
      for (int f = 0; f < 4; f++) {
        assertEquals("APPROVED", decide(http, request(theater, "asset-" + f, 1000 + 10 * f)).get("status").asText());
      }
      assertEquals("CONFLICT", decide(http, request(theater, "late", 1000)).get("status").asText());
      assertEquals("DENIED", decide(http, request(theater, "wifi", 2450)).get("status").asText());
      assertEquals("DENIED", decide(http, request(theater, "loud", 150).put("powerDbm", 40).put("priority", "IMMEDIATE"))
          .get("status").asText());
      JsonNode flash = decide(http, request(theater, "flash", 1010).put("priority", "FLASH"));
      assertEquals("APPROVED", flash.get("status").asText(), flash::toString);
      decisions += 8;
    }
    // More model calls now that the LLM series exist and were scraped: the sessions above may all
    // have run before Prometheus first saw them, leaving the latency histogram no rate to show.
    List<String> late = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      late.add(start(nodes.get(i).http, "mon-notifier", "late alert " + i));
    }
    late.forEach(id -> awaitStatus(nodes.get(0).http, id, "COMPLETED"));
    sessions += 3;
    published += 3;
    // The approvals' rates and time to decision: the decision's series exist (at 0) on the
    // session's node from the request on; decided once Prometheus has scraped them there twice.
    approveOne(nodes.get(1).http, "late", true);
    sessions++;
    published++;

    // Every message reached the subscribed agent: its worker acknowledged all five.
    Eventually.await(Duration.ofSeconds(60), "the subscribed agent's worker acknowledges all five messages", () -> {
      HttpClientForTests.Answer p = nodes.get(2).http.get("/api/v1/topics/mon-orders/subscribers/agent.mon-listener");
      return p.status() == 200 && p.json().path("ackedOffset").asLong() == 5 ? Optional.of(true) : Optional.empty();
    });
    nodes.forEach(n -> n.http.get("/api/v1/cluster"));
    loadEndMillis = System.currentTimeMillis();
  }

  /**
   * Starts a session of mon-careful, approves its call when it waits (once every node was scraped
   * twice since, if {@code scrapedFirst}), and waits until it completes.
   */
  private static void approveOne(HttpClientForTests http, String input, boolean scrapedFirst) {
    String id = start(http, "mon-careful", input);
    String callId = Eventually.await(Duration.ofSeconds(30), "session " + id + " awaits approval", () -> {
      JsonNode view = http.get("/api/v1/sessions/" + id).json();
      return "AWAITING_APPROVAL".equals(view.path("status").asText())
          ? Optional.of(view.get("pendingApproval").get("callId").asText()) : Optional.empty();
    });
    if (scrapedFirst) {
      awaitScrapedTwiceSince(System.currentTimeMillis());
    }
    HttpClientForTests.Answer decided = http.postJson("/api/v1/sessions/" + id + "/approvals/" + callId,
        "{\"approve\":true}");
    assertEquals(200, decided.status(), decided::body);
    awaitStatus(http, id, "COMPLETED");
  }

  @Test
  void everyPanelQueryOfEveryDashboardAnswersData() {
    // Prometheus has scraped the whole load once every node was scraped twice since the load ended
    // (a rate needs two samples of a series the load created) and its sums reach what was driven.
    awaitScrapedTwiceSince(loadEndMillis);
    Eventually.await(Duration.ofSeconds(60), "Prometheus has scraped the load", () ->
        prometheus.value("sum(embm_broker_messages_published_total)") >= published
            && prometheus.value("sum(embm_deconfliction_requests_total)") >= decisions
            && prometheus.value("sum(embm_agent_sessions_total)") >= sessions
            && prometheus.value("sum(embm_llm_cache_hits_total)") >= 1 ? Optional.of(true) : Optional.empty());

    JsonNode instances = prometheus.http.get("/api/v1/label/instance/values?match[]="
        + URLEncoder.encode("up{job=\"troupe\"}", StandardCharsets.UTF_8)).json().get("data");
    assertEquals(3, instances.size(), "the instance variable's values: " + instances);

    List<MonitoringFiles.PanelQuery> queries = MonitoringFiles.panelQueries();
    List<String> failures = new ArrayList<>();
    TreeSet<String> dashboards = new TreeSet<>();
    for (MonitoringFiles.PanelQuery q : queries) {
      dashboards.add(q.dashboard());
      String promql = MonitoringFiles.substitute(q.expr(), RATE_INTERVAL, "5s");
      try {
        JsonNode result = prometheus.query(promql).get("result");
        boolean anyNumber = false;
        for (JsonNode series : result) {
          anyNumber |= !"NaN".equals(series.path("value").path(1).asText("NaN"));
        }
        if (result.isEmpty()) {
          failures.add(q.where() + ": empty result for " + promql);
        } else if (!anyNumber) {
          failures.add(q.where() + ": only NaN for " + promql);
        }
      } catch (AssertionError e) {
        failures.add(q.where() + ": " + e.getMessage());
      }
    }
    System.out.printf("MonitoringProofTest: %d panel queries of %d dashboards evaluated, %d failed%n",
        queries.size(), dashboards.size(), failures.size());
    assertTrue(queries.size() >= 47 && dashboards.size() == 5, "panel queries found: " + queries.size() + " in " + dashboards);
    assertTrue(failures.isEmpty(), failures.size() + " of " + queries.size() + " panel queries answered no data:\n"
        + String.join("\n", failures));
  }

  @Test
  void prometheusLoadedAndEvaluatesEveryShippedAlertRule() {
    Eventually.await(Duration.ofSeconds(30), "every rule evaluated without error", () -> {
      List<String> notOk = new ArrayList<>();
      int rules = 0;
      for (JsonNode group : prometheus.http.get("/api/v1/rules").json().path("data").path("groups")) {
        for (JsonNode rule : group.path("rules")) {
          rules++;
          if (!"ok".equals(rule.path("health").asText())) {
            notOk.add(rule.path("name").asText() + ": " + rule.path("health").asText() + " " + rule.path("lastError").asText());
          }
        }
      }
      if (rules != MonitoringFiles.ruleExpressions().size()) {
        throw new AssertionError("Prometheus loaded " + rules + " rules");
      }
      if (!notOk.isEmpty()) {
        throw new AssertionError(String.join("\n", notOk));
      }
      return Optional.of(true);
    });
    JsonNode firing = prometheus.http.get("/api/v1/alerts").json().path("data").path("alerts");
    for (JsonNode alert : firing) {
      assertTrue(!alert.path("labels").path("alertname").asText().equals("TroupeNodeDown"), "no node is down: " + firing);
    }
  }

  @Test
  void promtoolChecksTheShippedConfigAndRulesAndTheAlertUnitTestsPass() throws Exception {
    Path prom = MonitoringFiles.prometheusDir();
    List<String> tests;
    try (var files = Files.list(prom.resolve("tests"))) {
      tests = files.filter(f -> f.toString().endsWith(".yml")).map(Path::toString).sorted().toList();
    }
    List<String> rules;
    try (var files = Files.list(prom.resolve("rules"))) {
      rules = files.filter(f -> f.toString().endsWith(".yml")).map(Path::toString).sorted().toList();
    }
    assertTrue(!tests.isEmpty() && !rules.isEmpty(), "rules " + rules + ", rule tests " + tests);
    List<List<String>> commands = List.of(
        List.of("check", "config", prom.resolve("prometheus.yml").toString()),
        concat(List.of("check", "rules"), rules),
        concat(List.of("test", "rules"), tests));
    for (List<String> args : commands) {
      PrometheusProcess.Result r = PrometheusProcess.promtool(Duration.ofSeconds(60), args.toArray(String[]::new));
      assertEquals(0, r.exit(), () -> "promtool " + String.join(" ", args) + ":\n" + r.output());
    }
    StringBuilder unitTests = new StringBuilder();
    for (String t : tests) {
      unitTests.append(Files.readString(Path.of(t)));
    }
    for (String alert : MonitoringFiles.ruleExpressions().keySet()) {
      assertTrue(unitTests.indexOf("alertname: " + alert + "\n") >= 0, "no unit test for alert " + alert);
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** Waits (bounded) until Prometheus's latest scrape of every node is 2 s or more after {@code millis}: two scrapes since. */
  private static void awaitScrapedTwiceSince(long millis) {
    Eventually.await(Duration.ofSeconds(30), "every node scraped twice more", () ->
        prometheus.value("min(timestamp(up{job=\"troupe\"}))") * 1000 >= millis + 2000 ? Optional.of(true) : Optional.empty());
  }
}
