package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.governance.cost.BudgetGate;
import io.troupe.runtime.governance.cost.CostControl;
import io.troupe.runtime.governance.cost.PricingTable;
import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.LlmRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One user's budget under concurrent sessions started through all three nodes of a cluster: the
 * sessions run wherever their shards are and all reserve on the same Budget entity, so together
 * they spend no more than the limit plus one call's estimate, while some are stopped with
 * BUDGET_EXCEEDED and others complete.
 *
 * <p>The nodes estimate 4 output tokens per call and the agent answers in at most 4, so estimates
 * never undershoot and a call's estimate is close to its cost: the limit binds on real spending.
 */
@RunningNodeTest(nodes = 3, config = "troupe.costs.default-output-tokens = 4")
class ClusterBudgetTest {

  private static final int SESSIONS = 24;
  private static final double LIMIT_USD = 0.0005;
  private static final String ROLE = "A thrifty answerer";
  private static final String INPUT = "What is the answer?";
  private static final String ANSWER = "Forty-two."; // 10 characters: 2 output tokens
  @FromNode private static final List<RunningNode> nodes = new ArrayList<>();

  @Test
  void concurrentSessionsOnSeveralNodesDoNotOverspendTheUsersBudget() throws Exception {
    String agent = AgentCalls.uniqueName("thrifty");
    String user = AgentCalls.uniqueName("shared-wallet");
    HttpClientForTests first = nodes.get(0).http;
    AgentCalls.define(first, agent, CostCalls.pricedAgent(ROLE, List.of(), "[{\"text\":\"" + ANSWER + "\"}]"));
    CostCalls.setBudget(nodes.get(1).http, "user", user, "day", LIMIT_USD);

    ExecutorService clients = Executors.newFixedThreadPool(6);
    List<String> ids = new ArrayList<>();
    try {
      List<Future<String>> starts = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        HttpClientForTests via = nodes.get(i % nodes.size()).http;
        starts.add(clients.submit(() -> CostCalls.start(via, agent, user, INPUT)));
      }
      for (Future<String> f : starts) {
        ids.add(f.get(60, TimeUnit.SECONDS));
      }
    } finally {
      clients.shutdownNow();
    }

    int completed = 0;
    int stopped = 0;
    for (int i = 0; i < ids.size(); i++) {
      JsonNode view = AgentCalls.awaitEnd(nodes.get((i + 1) % nodes.size()).http, ids.get(i));
      if ("COMPLETED".equals(view.get("status").asText())) {
        completed++;
      } else {
        assertEquals("ERROR", view.get("status").asText(), view::toString);
        assertTrue(view.get("error").asText().startsWith("BUDGET_EXCEEDED"), view::toString);
        stopped++;
      }
    }
    assertEquals(SESSIONS, completed + stopped);
    assertTrue(completed >= 1 && stopped >= 1, "the budget let some through and stopped others: " + completed
        + " completed, " + stopped + " stopped");

    double oneEstimate = oneCallsEstimate();
    int calls = completed;
    JsonNode stats = Eventually.await(Duration.ofSeconds(30), "every completed call in model_cost", () -> {
      JsonNode s = first.get("/api/v1/costs/stats?period=day&userId=" + user).json();
      return s.get("totals").get("calls").asLong() == calls ? Optional.of(s) : Optional.empty();
    });
    double spent = stats.get("totals").get("costUsd").asDouble();
    assertTrue(spent <= LIMIT_USD + oneEstimate, "spent $" + spent + " with a limit of $" + LIMIT_USD
        + " and one call estimated at $" + oneEstimate);
    assertTrue(spent >= LIMIT_USD / 2, "the budget was used, not refused wholesale: $" + spent);

    JsonNode budget = Eventually.await(Duration.ofSeconds(30), "every reservation settled", () -> {
      JsonNode b = nodes.get(2).http.get("/api/v1/costs/usage/" + user).json().get("budget");
      return b.get("openReservations").asInt() == 0 ? Optional.of(b) : Optional.empty();
    });
    assertEquals(spent, CostCalls.period(budget, "day").get("spentUsd").asDouble(), 1e-12,
        "the budget settled exactly what the read side priced");
    String metrics = nodes.stream().map(n -> n.http.get("/metrics").body()).reduce("", String::concat);
    assertTrue(metrics.contains("budget_rejections_total"), "each node reports its rejections");
  }

  /** What a session of the agent reserves for its one call, as the nodes estimate it. */
  private static double oneCallsEstimate() {
    PricingTable pricing = PricingTable.fromConfig(ConfigFactory.defaultReference().getConfig("troupe.costs.pricing"));
    LlmRequest request = new LlmRequest("gpt-4o", List.of(ChatMessage.system("You are " + ROLE + "."),
        ChatMessage.user(INPUT)), List.of(), 0, Duration.ofSeconds(1));
    return new CostControl(pricing, 4, 4, BudgetGate.NONE).estimate(request).costUsd();
  }
}
