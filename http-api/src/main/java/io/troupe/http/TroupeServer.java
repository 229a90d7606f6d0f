package io.troupe.http;

import io.troupe.monitoring.Metrics;
import io.troupe.runtime.governance.GovernanceMetrics;
import io.troupe.runtime.governance.ratelimit.RateLimits;
import io.troupe.runtime.governance.security.Authenticator;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP edge: binds every routes class behind metrics, rejection and exception
 * handling, and unbinds during coordinated shutdown (new connections stop first; requests in
 * flight get up to ten seconds to finish).
 */
public final class TroupeServer extends HttpMetricsDirectives {

  private static final Logger log = LoggerFactory.getLogger(TroupeServer.class);
  private static final Duration HARD_TERMINATION_DEADLINE = Duration.ofSeconds(10);

  private final TroupeNode node;

  private TroupeServer(TroupeNode node) {
    this.node = node;
  }

  public static ServerBinding start(TroupeNode node) throws Exception {
    var system = node.system();
    Route route = new TroupeServer(node).route();
    Optional<EdgeTls> tls = HttpSettings.get(system).tls();
    ServerBuilder server = Http.get(system).newServerAt(node.settings().host(), node.settings().httpPort());
    if (tls.isPresent()) {
      // One port, HTTPS only: clients that speak HTTP/2 get it through ALPN, the others HTTP/1.1.
      // Plain HTTP keeps Pekko's own setting (enable-http2 = off: HTTP/1.1 only, no h2c).
      boolean http2 = tls.get().http2();
      server = server.enableHttps(ConnectionContext.httpsServer(tls.get().sslContext()))
          .adaptSettings(settings -> settings.withEnableHttp2(http2)
              .withPreviewServerSettings(settings.getPreviewServerSettings().withEnableHttp2(http2)));
    }
    ServerBinding binding = server
        .bind(route)
        .toCompletableFuture().get(30, TimeUnit.SECONDS)
        .addToCoordinatedShutdown(HARD_TERMINATION_DEADLINE, system);
    log.info("Troupe HTTP edge listening on {}://{}:{}{}", tls.isPresent() ? "https" : "http",
        binding.localAddress().getHostString(), binding.localAddress().getPort(),
        tls.map(t -> t.http2() ? " (HTTP/2 and HTTP/1.1)" : " (HTTP/1.1)").orElse(""));
    return binding;
  }

  Route route() {
    var system = node.system();
    var securitySettings = io.troupe.runtime.node.RuntimeSettings.get(system).security();
    Metrics metrics = Metrics.get(system);
    HttpMetrics httpMetrics = HttpMetrics.get(system);
    long maxBodyBytes = HttpSettings.get(system).maxBodyBytes();
    AdmissionControl admission = new AdmissionControl(HttpSettings.get(system).maxInFlight(), httpMetrics);
    OpsRoutes ops = new OpsRoutes(node.health(), node.inspector(), metrics);
    TopicRoutes topics = new TopicRoutes(system, node.topicLog(), maxBodyBytes);
    SpectrumRoutes spectrum = new SpectrumRoutes(system, maxBodyBytes);
    AgentRoutes agents = new AgentRoutes(node, maxBodyBytes);
    SessionRoutes sessions = new SessionRoutes(node, maxBodyBytes);
    AnalyticsRoutes analytics = new AnalyticsRoutes(node.database());
    SecurityRoutes security = new SecurityRoutes(node, maxBodyBytes);
    RateLimits limits = RateLimits.get(system);
    RateLimitDirectives rateLimits = new RateLimitDirectives();
    Guard guard = new Guard(Authenticator.get(system), node.auditLog(), GovernanceMetrics.get(system),
        (principal, rule, inner) -> rateLimits.rateLimited(limits, principal, rule.endpointClass(), inner),
        node.settings().host() + ":" + node.settings().clusterPort(),
        securitySettings.authFailuresPerMinute());
    Route metricsGate = securitySettings.protectMetrics()
        // Tests the path without consuming it, so the ops route inside serves /metrics itself.
        ? pathPrefixTest("metrics", () -> guard.fixed(METRICS_RULE, ops::rootRoutes))
        : reject();
    CostRoutes costs = new CostRoutes(node, maxBodyBytes);
    AdminRoutes admin = new AdminRoutes(node.database());
    OpenAiRoutes openAi = new OpenAiRoutes(node, maxBodyBytes);
    NulRefusal nul = new NulRefusal();
    return instrumented(httpMetrics, () -> nul.refusingNul(() ->
        handleExceptions(ProblemHandlers.exceptions(), () ->
            handleRejections(ProblemHandlers.rejections(), () -> concat(
                metricsGate,
                ops.rootRoutes(),
                pathPrefix(segment("api").slash("v1"), () -> admission.admitted(() -> guard.api(() -> concat(
                    ops.apiRoutes(),
                    topics.route(),
                    spectrum.route(),
                    agents.route(),
                    sessions.route(),
                    sessions.approvalsRoute(),
                    analytics.route(),
                    security.route(),
                    costs.route(),
                    admin.route())))),
                // The OpenAI-compatible door: the same guard, route table and admission, OpenAI's error shape.
                pathPrefix("v1", () -> openAi.withOpenAiErrors(() -> admission.admitted(() -> guard.api(openAi::route)))))))));
  }

  /** {@code /metrics} when {@code troupe.security.protect-metrics} is on. */
  static final RouteRule METRICS_RULE = new RouteRule("GET", "/metrics",
      io.troupe.runtime.governance.Permission.METRICS_READ, io.troupe.runtime.governance.EndpointClass.READS);
}
