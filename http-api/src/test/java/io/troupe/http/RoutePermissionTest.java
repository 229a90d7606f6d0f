package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.governance.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every API route × every role, against a real node: no key and a wrong key get 401, a role
 * without the route's permission gets 403, a role with it gets past the guard. And the table
 * covers every route the routes classes define, so a new route without a permission fails here
 * (besides being unreachable: the guard lets through only routes in the table).
 */
@RunningNodeTest
class RoutePermissionTest {

  @FromNode private static RunningNode node;
  private static final Map<Role, HttpClientForTests> AS = new EnumMap<>(Role.class);

  @BeforeAll
  static void start() throws Exception {
    AS.put(Role.ADMIN, node.http);
    AS.put(Role.USER, node.http.as(SecurityCalls.userWithKey(node.http, "a user", "USER").key()));
    AS.put(Role.READONLY, node.http.as(SecurityCalls.userWithKey(node.http, "a reader", "READONLY").key()));
  }

  /** The OpenAI-compatible door's routes answer errors in OpenAI's shape, not problem+json. */
  private static boolean openAi(RouteRule rule) {
    return rule.template().startsWith("/v1/");
  }

  /** What an error says: problem+json's detail, or OpenAI's error.message. */
  private static String detail(RouteRule rule, HttpClientForTests.Answer a) {
    return openAi(rule) ? a.json().path("error").path("message").asText() : a.json().get("detail").asText();
  }

  /** A concrete path for a template: each variable becomes a plausible (absent) name. */
  private static String concrete(String template) {
    return template.replaceAll("\\{[a-zA-Z]+}", "x-" + "probe");
  }

  private static HttpClientForTests.Answer call(HttpClientForTests client, RouteRule rule) {
    String body = rule.mutating() && !rule.method().equals("DELETE") ? "{}" : null;
    Map<String, String> headers = body == null ? Map.of() : Map.of("Content-Type", "application/json");
    String path = concrete(rule.template());
    // Streams would stay open: ask them for nothing but their status.
    if (rule.template().endsWith("/stream") || rule.template().endsWith("/events")) {
      path += "?probe=1";
    }
    return client.send(rule.method(), path, headers, body);
  }

  @Test
  void withoutAKeyEveryRouteIs401() {
    for (RouteRule rule : RouteTable.RULES) {
      HttpClientForTests.Answer a = call(node.http.as(null), rule);
      assertEquals(401, a.status(), () -> rule.action() + ": " + a.body());
      if (openAi(rule)) {
        assertEquals("invalid_api_key", OpenAiCalls.assertOpenAiError(a, 401, "invalid_api_key").get("code").asText());
      } else {
        assertTrue(a.contentType().startsWith("application/problem+json"), rule::action);
      }
      assertEquals("Bearer realm=\"troupe\"", a.header("WWW-Authenticate"), rule::action);
    }
  }

  @Test
  void withAWrongKeyEveryRouteIs401() {
    for (String wrong : List.of("not-a-key-at-all-really", "trp.admin.bootstrap.AAAA", "trp.u-0000.k-0000.secret")) {
      for (RouteRule rule : RouteTable.RULES) {
        HttpClientForTests.Answer a = call(node.http.as(wrong), rule);
        assertEquals(401, a.status(), () -> rule.action() + " with " + wrong + ": " + a.body());
      }
    }
  }

  @Test
  void eachRoleReachesExactlyTheRoutesItsPermissionsAllow() {
    List<String> wrong = new ArrayList<>();
    for (Role role : Role.values()) {
      for (RouteRule rule : RouteTable.RULES) {
        if (rule.template().endsWith("/stream") || rule.template().endsWith("/events")) {
          continue; // their permission is checked below without opening a stream
        }
        boolean allowed = rule.permission() == null || role.allows(rule.permission());
        HttpClientForTests.Answer a = call(AS.get(role), rule);
        // A 403 of the route itself (another user's costs) is past the guard: only the guard's names a lack.
        boolean passed = a.status() != 401 && !(a.status() == 403 && a.body().contains("lacks the permission"))
            && !a.body().contains("no API route");
        if (allowed != passed) {
          wrong.add(role + " " + rule.action() + " -> " + a.status() + " " + a.body());
        }
        if (!allowed) {
          assertTrue(a.contentType().startsWith(openAi(rule) ? "application/json" : "application/problem+json"),
              rule::action);
          assertTrue(detail(rule, a).contains(rule.permission().id()), a::body);
        }
      }
    }
    assertEquals(List.of(), wrong);
  }

  /**
   * The roles' meaning, independent of the table: a read-only key changes nothing (checking its
   * own permission is a question, not a change), and a USER key administers nothing.
   */
  @Test
  void readOnlyKeysChangeNothingAndUserKeysAdministerNothing() {
    List<String> wrong = new ArrayList<>();
    for (RouteRule rule : RouteTable.RULES) {
      boolean question = rule.template().equals("/api/v1/security/check-permission");
      if (rule.mutating() && !question && call(AS.get(Role.READONLY), rule).status() != 403) {
        wrong.add("READONLY may " + rule.action());
      }
      boolean administrative = (rule.template().startsWith("/api/v1/security/") && !question
          && !rule.template().equals("/api/v1/security/permissions"))
          || rule.template().startsWith("/api/v1/admin/") || rule.action().equals("POST /api/v1/costs/budget")
          || rule.action().equals("PUT /api/v1/roe");
      if (administrative && call(AS.get(Role.USER), rule).status() != 403) {
        wrong.add("USER may " + rule.action());
      }
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void streamsAreGuardedToo() {
    for (RouteRule rule : RouteTable.RULES) {
      if (!rule.template().endsWith("/stream") && !rule.template().endsWith("/events")) {
        continue;
      }
      assertEquals(401, call(node.http.as(null), rule).status(), rule::action);
      // Every role may read topics and sessions; a stream for an unknown session is answered at once.
      if (rule.template().endsWith("/events")) {
        for (Role role : Role.values()) {
          int status = call(AS.get(role), rule).status();
          assertNotEquals(401, status);
          assertNotEquals(403, status);
        }
      }
    }
  }

  @Test
  void unknownRoutesAre404AndWrongMethods405AfterAuthentication() {
    assertEquals(401, node.http.as(null).get("/api/v1/nothing-here").status());
    HttpClientForTests.Answer missing = node.http.get("/api/v1/nothing-here");
    assertEquals(404, missing.status(), missing::body);
    HttpClientForTests.Answer wrongMethod = node.http.send("PATCH", "/api/v1/roe", Map.of(), null);
    assertEquals(405, wrongMethod.status(), wrongMethod::body);
    assertEquals("GET, PUT", wrongMethod.header("Allow"));
  }

  @Test
  void healthStaysOpenAndMetricsAreOpenByDefault() {
    for (String path : List.of("/health", "/health/live", "/health/ready", "/metrics")) {
      assertEquals(200, node.http.as(null).get(path).status(), path);
    }
  }

  @Test
  void bothKeyHeadersWork() {
    String key = io.troupe.runtime.TestNodes.ADMIN_TOKEN;
    assertEquals(200, node.http.as(null).send("GET", "/api/v1/topics", Map.of("X-API-Key", key), null).status());
    assertEquals(200, node.http.as(null).send("GET", "/api/v1/topics", Map.of("Authorization", "bearer " + key), null)
        .status());
    assertEquals(401, node.http.as(null).send("GET", "/api/v1/topics", Map.of("Authorization", "Basic " + key), null)
        .status());
  }

  private static final Pattern TEMPLATE = Pattern.compile("template\\(\"(/(?:api/)?v1/[^\"]*)\"");

  @Test
  void everyRouteTheRoutesClassesDefineHasARow() throws IOException {
    TreeSet<String> defined = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java/io/troupe/http"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = TEMPLATE.matcher(Files.readString(f));
        while (m.find()) {
          defined.add(m.group(1));
        }
      }
    }
    assertFalse(defined.isEmpty(), "no route templates found: run from the http-api module");
    TreeSet<String> inTable = new TreeSet<>();
    RouteTable.RULES.forEach(r -> inTable.add(r.template()));
    TreeSet<String> missing = new TreeSet<>(defined);
    missing.removeAll(inTable);
    assertEquals(new TreeSet<>(), missing, "routes without a row in RouteTable (and so without a permission)");
    TreeSet<String> stale = new TreeSet<>(inTable);
    stale.removeAll(defined);
    assertEquals(new TreeSet<>(), stale, "rows in RouteTable that no routes class defines");
  }
}
