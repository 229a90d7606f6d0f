package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Costs, budgets and admin views over real HTTP on one node: a session within its user's budget
 * is charged, one beyond it ends BUDGET_EXCEEDED without calling the model, and every report
 * shows them after the read side's lag. Bad input is a 400 naming the field, and changes nothing.
 */
@RunningNodeTest
class CostRoutesTest {

  private static final Duration READ_SIDE_LAG = Duration.ofSeconds(20);
  private static final String TOOL_THEN_ANSWER = AgentCalls.toolThenAnswer("reading", "read_topic",
      "{\"topic\":\"cost-news\"}", "Nothing new.");
  @FromNode private static HttpClientForTests http;

  private static JsonNode await(String path, String what, Predicate<JsonNode> done) {
    return Eventually.await(READ_SIDE_LAG, what + " at " + path, () -> {
      HttpClientForTests.Answer answer = http.get(path);
      assertEquals(200, answer.status(), answer::body);
      return done.test(answer.json()) ? Optional.of(answer.json()) : Optional.empty();
    });
  }

  private static Optional<JsonNode> entry(JsonNode array, String member, String value) {
    for (JsonNode e : array) {
      if (value.equals(e.path(member).asText())) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  @Test
  void theModelsAreThePricingTable() {
    JsonNode models = http.get("/api/v1/costs/models").json();
    JsonNode gpt4o = entry(models.get("models"), "model", "gpt-4o").orElseThrow();
    assertEquals(2.50, gpt4o.get("inputPerMillionUsd").asDouble());
    assertEquals(10.00, gpt4o.get("outputPerMillionUsd").asDouble());
    assertEquals("chat", gpt4o.get("kind").asText());
    assertEquals("embedding", entry(models.get("models"), "model", "text-embedding-3-small").orElseThrow()
        .get("kind").asText());
    assertTrue(models.get("matching").asText().contains("longest"));
  }

  @Test
  void aSessionBeyondItsUsersBudgetEndsBudgetExceededAndEveryReportShowsTheSpending() {
    String agent = AgentCalls.uniqueName("costed");
    String user = AgentCalls.uniqueName("payer");
    AgentCalls.define(http, agent, CostCalls.pricedAgent("A costed reader", List.of("read_topic"), TOOL_THEN_ANSWER));
    JsonNode budget = CostCalls.setBudget(http, "user", user, "day", 1.0);
    assertEquals(1.0, CostCalls.period(budget, "day").get("limitUsd").asDouble());
    assertEquals("user:" + user, budget.get("subject").asText());

    String paid = CostCalls.start(http, agent, user, "anything new?");
    JsonNode done = AgentCalls.awaitStatus(http, paid, "COMPLETED");
    assertEquals(2, done.get("llmCalls").asInt());

    CostCalls.setBudget(http, "user", user, "day", 0.0001); // now below one call's estimate
    String stopped = CostCalls.start(http, agent, user, "and now?");
    JsonNode failed = AgentCalls.awaitStatus(http, stopped, "ERROR");
    assertTrue(failed.get("error").asText().startsWith("BUDGET_EXCEEDED: the day budget of user:" + user),
        failed::toString);
    assertEquals(0, failed.get("llmCalls").asInt(), "the model was never called");
    List<SseStream.Event> events = AgentCalls.readToEnd(AgentCalls.events(http, stopped, "", Map.of()),
        Duration.ofSeconds(10));
    SseStream.Event last = events.get(events.size() - 1);
    assertEquals("error", last.type());
    assertEquals("ERROR", last.json().get("status").asText());
    assertTrue(last.json().get("error").asText().startsWith("BUDGET_EXCEEDED"), last::toString);
    assertTrue(http.get("/metrics").body().contains("budget_rejections_total 1.0"));
    assertTrue(http.get("/metrics").body().contains("api_cost_dollars_total{model=\"gpt-4o\",}"));

    JsonNode stats = await("/api/v1/costs/stats?period=day&userId=" + user, "two priced calls",
        s -> s.get("totals").get("calls").asLong() == 2);
    double spent = stats.get("totals").get("costUsd").asDouble();
    assertTrue(spent > 0, stats::toString);
    assertEquals(0, stats.get("totals").get("unpricedCalls").asLong());
    assertEquals(2, entry(stats.get("byModel"), "key", "gpt-4o").orElseThrow().get("calls").asLong());
    assertEquals(2, entry(stats.get("byAgent"), "key", agent).orElseThrow().get("calls").asLong());

    JsonNode usage = http.get("/api/v1/costs/usage/" + user).json();
    assertEquals(spent, usage.get("periods").get(0).get("totals").get("costUsd").asDouble(), 1e-12, usage::toString);
    JsonNode day = CostCalls.period(usage.get("budget"), "day");
    assertEquals(0.0001, day.get("limitUsd").asDouble());
    assertEquals(spent, day.get("spentUsd").asDouble(), 1e-12, "the budget counted what the read side counted");
    assertEquals(0, usage.get("budget").get("openReservations").asInt());

    JsonNode agentBudget = http.get("/api/v1/costs/budget?scope=agent&subject=" + agent).json();
    assertEquals("agent:" + agent, agentBudget.get("subject").asText());
    assertTrue(CostCalls.period(agentBudget, "month").get("limitUsd").isNull(), "no agent limit was set");
    assertEquals(0.0001, CostCalls.period(http.get("/api/v1/costs/budget?scope=user&subject=" + user).json(), "day")
        .get("limitUsd").asDouble());

    JsonNode forecast = http.get("/api/v1/costs/forecast?userId=" + user + "&days=14").json();
    assertTrue(forecast.get("method").asText().contains("least-squares"), forecast::toString);
    assertEquals(14, forecast.get("dailyTotals").size());
    assertEquals(7, forecast.get("forecast").size());
    assertEquals(0.0, forecast.get("slopeUsdPerDay").asDouble(), "today is excluded: nothing before it");

    JsonNode recommendations = http.get("/api/v1/costs/recommendations?agent=" + agent).json();
    JsonNode rec = recommendations.get("agents").get(0);
    assertEquals(agent, rec.get("agent").asText());
    assertEquals("gpt-4o", rec.get("pricedAs").asText());
    assertEquals("gpt-4o-mini", rec.get("cheaperModels").get(0).get("model").asText(), rec::toString);
    assertTrue(rec.get("cheaperModels").get(0).get("savingsPercent").asDouble() > 90, rec::toString);

    JsonNode metrics = await("/api/v1/admin/metrics?hours=1", "two sessions of " + agent,
        m -> entry(m.get("agents"), "agent", agent).map(a -> a.get("requests").asLong() == 2
            && a.get("failures").asLong() == 1).orElse(false));
    JsonNode figures = entry(metrics.get("agents"), "agent", agent).orElseThrow();
    assertEquals(1, figures.get("successes").asLong());
    assertEquals(0.5, figures.get("successRate").asDouble());
    assertNotNull(figures.get("averageExecutionMs"));
    assertEquals(spent, figures.get("costUsd").asDouble(), 1e-12);
    JsonNode errors = http.get("/api/v1/admin/errors?limit=100").json();
    assertTrue(entry(errors.get("errors"), "sessionId", stopped).isPresent(), errors::toString);
    JsonNode activity = http.get("/api/v1/admin/user-activity/" + user + "?limit=1").json();
    assertEquals(2, activity.get("sessions").asLong());
    assertEquals(1, activity.get("recent").size());
    assertEquals(stopped, activity.get("recent").get(0).get("sessionId").asText());
  }

  @Test
  void aBadBudgetIsA400NamingEachFieldAndChangesNothing() {
    String user = AgentCalls.uniqueName("untouched");
    JsonNode all = assertProblem(http.postJson("/api/v1/costs/budget",
        "{\"scope\":\"team\",\"subject\":\"\",\"period\":\"year\",\"limitUsd\":-1}"), 400);
    for (String field : List.of("scope", "subject", "period", "limitUsd")) {
      assertTrue(all.get("errors").has(field), all::toString);
    }
    assertTrue(assertProblem(http.postJson("/api/v1/costs/budget",
        "{\"scope\":\"user\",\"subject\":\"" + user + "\",\"period\":\"day\"}"), 400).get("errors").has("limitUsd"));
    assertTrue(assertProblem(http.postJson("/api/v1/costs/budget",
        "{\"scope\":\"user\",\"subject\":\"" + user + "\",\"period\":\"day\",\"limitUsd\":\"5\"}"), 400)
        .get("errors").has("limitUsd"));
    assertTrue(assertProblem(http.postJson("/api/v1/costs/budget",
        "{\"scope\":\"agent\",\"subject\":\"bad name\",\"period\":\"day\",\"limitUsd\":5}"), 400)
        .get("errors").has("subject"));
    assertTrue(assertProblem(http.postJson("/api/v1/costs/budget",
        "{\"scope\":\"user\",\"subject\":\"" + user + "\",\"period\":\"day\",\"limitUsd\":1e400}"), 400)
        .get("errors").has("limitUsd"));
    assertProblem(http.send("POST", "/api/v1/costs/budget", Map.of("Content-Type", "text/plain"), "x"), 415);
    assertProblem(http.postJson("/api/v1/costs/budget", "[1]"), 400);
    JsonNode budget = http.get("/api/v1/costs/usage/" + user).json().get("budget");
    for (JsonNode p : budget.get("periods")) {
      assertTrue(p.get("limitUsd").isNull(), budget::toString);
    }
  }

  @Test
  void badQueryParametersAre400sNamingThem() {
    assertTrue(assertProblem(http.get("/api/v1/costs/stats?period=year"), 400).get("errors").has("period"));
    assertTrue(assertProblem(http.get("/api/v1/costs/stats?agent=bad%20name"), 400).get("errors").has("agent"));
    assertTrue(assertProblem(http.get("/api/v1/costs/stats?userId=%20"), 400).get("errors").has("userId"));
    assertTrue(assertProblem(http.get("/api/v1/costs/forecast?days=1"), 400).get("errors").has("days"));
    assertTrue(assertProblem(http.get("/api/v1/costs/recommendations?days=abc"), 400).get("errors").has("days"));
    assertTrue(assertProblem(http.get("/api/v1/admin/metrics?hours=0"), 400).get("errors").has("hours"));
    assertTrue(assertProblem(http.get("/api/v1/admin/errors?limit=100000"), 400).get("errors").has("limit"));
    assertTrue(assertProblem(http.get("/api/v1/admin/user-activity/u1?limit=x"), 400).get("errors").has("limit"));
    JsonNode budget = assertProblem(http.get("/api/v1/costs/budget?scope=team"), 400);
    assertTrue(budget.get("errors").has("scope") && budget.get("errors").has("subject"), budget::toString);
    assertTrue(assertProblem(http.get("/api/v1/costs/budget?scope=agent&subject=bad%20name"), 400)
        .get("errors").has("subject"));
    assertProblem(http.send("DELETE", "/api/v1/costs/models", Map.of(), null), 405);
    assertFalse(http.get("/api/v1/costs/stats").json().get("totals").isNull());
  }
}
