package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may read and set what, through the node's real edge with real keys: a USER reads only its
 * own costs, sets no budget and sees no admin view; READONLY reads no costs at all.
 */
@RunningNodeTest
class CostAccessTest {

  @FromNode private static RunningNode node;
  private static HttpClientForTests alice;
  private static HttpClientForTests reader;
  /** The USER's generated id, and another user's. */
  private static String aliceId;
  private static final String BOB = "u-00000000000000b0";

  @BeforeAll
  static void start() throws Exception {
    SecurityCalls.UserKey a = SecurityCalls.userWithKey(node.http, "alice", "USER");
    aliceId = a.userId();
    alice = node.http.as(a.key());
    reader = node.http.as(SecurityCalls.userWithKey(node.http, "rita", "READONLY").key());
  }

  @Test
  void aUserReadsItsOwnCostsOnly() {
    JsonNode stats = alice.get("/api/v1/costs/stats?period=month").json();
    assertEquals(aliceId, stats.get("userId").asText(), "no userId means one's own");
    assertTrue(stats.get("byUser").isNull(), stats::toString);
    assertEquals(200, alice.get("/api/v1/costs/stats?userId=" + aliceId).status());
    assertEquals(200, alice.get("/api/v1/costs/usage/" + aliceId).status());
    assertEquals(aliceId, alice.get("/api/v1/costs/forecast").json().get("userId").asText());
    assertEquals(aliceId, alice.get("/api/v1/costs/recommendations").json().get("userId").asText());
    assertEquals(200, alice.get("/api/v1/costs/models").status());

    assertEquals(200, alice.get("/api/v1/costs/budget?scope=user&subject=" + aliceId).status());
    for (String path : new String[] {"/api/v1/costs/stats?userId=" + BOB, "/api/v1/costs/usage/" + BOB,
        "/api/v1/costs/budget?scope=user&subject=" + BOB,
        "/api/v1/costs/forecast?userId=" + BOB, "/api/v1/costs/recommendations?userId=" + BOB}) {
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
        "{\"scope\":\"user\",\"subject\":\"" + aliceId + "\",\"period\":\"day\",\"limitUsd\":1000}"), 403);
    assertTrue(refused.get("detail").asText().contains("budgets:write"), refused::toString);
    JsonNode budget = node.http.get("/api/v1/costs/usage/" + aliceId).json().get("budget");
    assertTrue(CostCalls.period(budget, "day").get("limitUsd").isNull(), "nothing changed: " + budget);
    for (String path : new String[] {"/api/v1/admin/metrics", "/api/v1/admin/errors",
        "/api/v1/admin/user-activity/" + aliceId}) {
      assertTrue(assertProblem(alice.get(path), 403).get("detail").asText().contains("admin:read"));
    }
  }

  @Test
  void readOnlyReadsNoCosts() {
    for (String path : new String[] {"/api/v1/costs/stats", "/api/v1/costs/models", "/api/v1/costs/usage/" + BOB}) {
      assertTrue(assertProblem(reader.get(path), 403).get("detail").asText().contains("costs:read"));
    }
  }
}
