package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may read and set what, with the routes bound for fixed principals on a real node (until the
 * edge's authentication hands each request its own): a USER reads only its own costs, sets no
 * budget and sees no admin view; READONLY reads no costs at all.
 */
class CostAccessTest {

  private static RunningNode node;
  private static ServerBinding aliceBinding;
  private static ServerBinding readerBinding;
  private static HttpClientForTests alice;
  private static HttpClientForTests reader;

  @BeforeAll
  static void start() throws Exception {
    node = RunningNode.startAlone(TestDatabase.fresh());
    aliceBinding = bind(new Principal("alice", "key-a", Role.USER));
    readerBinding = bind(new Principal("rita", "key-r", Role.READONLY));
    alice = new HttpClientForTests("http://127.0.0.1:" + aliceBinding.localAddress().getPort());
    reader = new HttpClientForTests("http://127.0.0.1:" + readerBinding.localAddress().getPort());
  }

  @AfterAll
  static void stop() throws Exception {
    for (ServerBinding b : new ServerBinding[] {aliceBinding, readerBinding}) {
      if (b != null) {
        b.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
    if (node != null) {
      node.close();
    }
  }

  private static ServerBinding bind(Principal principal) throws Exception {
    CostRoutes costs = new CostRoutes(node.node, 1 << 20);
    AdminRoutes admin = new AdminRoutes(node.node.database());
    Route route = new AllDirectives() {
      Route route() {
        return handleRejections(ProblemHandlers.rejections(), () ->
            pathPrefix(PathMatchers.segment("api").slash("v1"), () -> concat(costs.route(principal), admin.route(principal))));
      }
    }.route();
    return Http.get(node.node.system()).newServerAt("127.0.0.1", 0).bind(route)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aUserReadsItsOwnCostsOnly() {
    JsonNode stats = alice.get("/api/v1/costs/stats?period=month").json();
    assertEquals("alice", stats.get("userId").asText(), "no userId means one's own");
    assertTrue(stats.get("byUser").isNull(), stats::toString);
    assertEquals(200, alice.get("/api/v1/costs/stats?userId=alice").status());
    assertEquals(200, alice.get("/api/v1/costs/usage/alice").status());
    assertEquals("alice", alice.get("/api/v1/costs/forecast").json().get("userId").asText());
    assertEquals("alice", alice.get("/api/v1/costs/recommendations").json().get("userId").asText());
    assertEquals(200, alice.get("/api/v1/costs/models").status());

    assertEquals(200, alice.get("/api/v1/costs/budget?scope=user&subject=alice").status());
    for (String path : new String[] {"/api/v1/costs/stats?userId=bob", "/api/v1/costs/usage/bob",
        "/api/v1/costs/budget?scope=user&subject=bob",
        "/api/v1/costs/forecast?userId=bob", "/api/v1/costs/recommendations?userId=bob"}) {
      JsonNode problem = assertProblem(alice.get(path), 403);
      assertTrue(problem.get("detail").asText().contains("costs:read-all"), problem::toString);
    }
  }

  @Test
  void aUserReadsNoAgentBudget() {
    JsonNode problem = assertProblem(alice.get("/api/v1/costs/budget?scope=agent&subject=planner"), 403);
    assertTrue(problem.get("detail").asText().contains("costs:read-all"), problem::toString);
  }

  @Test
  void aUserSetsNoBudgetAndSeesNoAdminView() {
    JsonNode refused = assertProblem(alice.postJson("/api/v1/costs/budget",
        "{\"scope\":\"user\",\"subject\":\"alice\",\"period\":\"day\",\"limitUsd\":1000}"), 403);
    assertTrue(refused.get("detail").asText().contains("budgets:write"), refused::toString);
    JsonNode budget = node.http.get("/api/v1/costs/usage/alice").json().get("budget");
    assertTrue(CostCalls.period(budget, "day").get("limitUsd").isNull(), "nothing changed: " + budget);
    for (String path : new String[] {"/api/v1/admin/metrics", "/api/v1/admin/errors",
        "/api/v1/admin/user-activity/alice"}) {
      assertTrue(assertProblem(alice.get(path), 403).get("detail").asText().contains("admin:read"));
    }
  }

  @Test
  void readOnlyReadsNoCosts() {
    for (String path : new String[] {"/api/v1/costs/stats", "/api/v1/costs/models", "/api/v1/costs/usage/rita"}) {
      assertTrue(assertProblem(reader.get(path), 403).get("detail").asText().contains("costs:read"));
    }
  }
}
