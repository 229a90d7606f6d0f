package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.TIMEOUT;
import static io.troupe.runtime.agent.SessionHarness.assertJournal;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.prometheus.client.CollectorRegistry;
import io.troupe.monitoring.Metrics;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.governance.cost.Budget;
import io.troupe.runtime.governance.cost.BudgetPeriod;
import io.troupe.runtime.governance.cost.CostControl;
import io.troupe.runtime.governance.cost.ShardedBudgets;
import io.troupe.runtime.llm.ResponseCache;
import io.troupe.runtime.tool.ToolRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions against the real sharded budgets: a call the user's or the agent's budget does not
 * cover is never made and the session ends ERROR with reason BUDGET_EXCEEDED in its events; a
 * call that fits is reserved, then settled at its actual cost and counted in the cost metrics.
 */
@TroupeNodeTest
class SessionBudgetTest {

  private static final AtomicInteger NAMES = new AtomicInteger();
  @FromNode private static NodeFixture fixture;
  private static CostControl costs;

  @BeforeAll
  static void start() {
    costs = CostControl.from(io.troupe.runtime.governance.cost.CostSettings.from(ConfigFactory.defaultReference()),
        new ShardedBudgets(fixture.node.system(), Duration.ofSeconds(5)));
  }

  private static SessionServices services(RecordingProvider model) {
    return new SessionServices(Map.of(model.name(), model), new ToolRegistry(), new ResponseCache(10),
        Duration.ofSeconds(10), Duration.ofMinutes(5), costs);
  }

  private static AgentDefinition gpt4o(String provider) {
    return new AgentDefinition("a tester", "You test things.", provider, "gpt-4o-2024-08-06", 0.7, 8, 10,
        List.of(), List.of(), List.of());
  }

  private static void setLimit(String subject, BudgetPeriod period, double limitUsd) {
    TestProbe<StatusReply<Budget.BudgetView>> probe = fixture.testKit.createTestProbe();
    ClusterSharding.get(fixture.node.system()).entityRefFor(Budget.ENTITY_KEY, subject)
        .tell(new Budget.SetLimit(period, limitUsd, Map.of(), probe.getRef()));
    assertTrue(probe.receiveMessage(TIMEOUT).isSuccess());
  }

  private static Budget.BudgetView budget(String subject) {
    TestProbe<Budget.BudgetView> probe = fixture.testKit.createTestProbe();
    ClusterSharding.get(fixture.node.system()).entityRefFor(Budget.ENTITY_KEY, subject).tell(new Budget.Get(probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  private static void start(SessionHarness session, String agent, String user) {
    TestProbe<StatusReply<Session.Started>> probe = fixture.testKit.createTestProbe();
    session.ref().tell(new Session.Start(agent, gpt4o("rec"), "what does it cost?", user, null, probe.getRef()));
    assertTrue(probe.receiveMessage(TIMEOUT).isSuccess());
  }

  private static double sample(String name, String[] labels, String[] values) {
    CollectorRegistry registry = Metrics.get(fixture.node.system()).registry;
    Double v = labels.length == 0 ? registry.getSampleValue(name) : registry.getSampleValue(name, labels, values);
    return v == null ? 0.0 : v;
  }

  @Test
  void aCallTheUsersBudgetDoesNotCoverIsNeverMadeAndTheSessionEndsBudgetExceeded() throws Exception {
    String user = "broke-" + NAMES.incrementAndGet();
    setLimit(Budget.userSubject(user), BudgetPeriod.DAY, 0.001); // below one call's 1000 output tokens at $10/1M
    RecordingProvider model = RecordingProvider.scripted("rec", answer("never sent"));
    SessionHarness session = new SessionHarness(fixture, services(model));
    double rejections = sample("budget_rejections_total", new String[0], new String[0]);

    start(session, "costly-" + NAMES.incrementAndGet(), user);
    SessionView done = session.awaitFinished();

    assertEquals("ERROR", done.status());
    assertTrue(done.error().startsWith(Session.BUDGET_EXCEEDED + ": the day budget of user:" + user), done.error());
    assertEquals(0, model.requests().size(), "the model was not called");
    assertJournal(session, "SessionStarted", "SessionFailed");
    Session.SessionFailed failed = (Session.SessionFailed) session.journal().get(1);
    assertTrue(failed.reason().startsWith("BUDGET_EXCEEDED"), failed::toString);
    assertEquals(rejections + 1, sample("budget_rejections_total", new String[0], new String[0]));
    assertEquals(0.0, budget(Budget.userSubject(user)).reservedUsd(), "nothing stays reserved");
  }

  @Test
  void theAgentsBudgetStopsItsSessionsTooAndReleasesTheUsersReservation() throws Exception {
    String agent = "capped-" + NAMES.incrementAndGet();
    String user = "rich-" + NAMES.incrementAndGet();
    setLimit(Budget.agentSubject(agent), BudgetPeriod.MONTH, 0.0);
    setLimit(Budget.userSubject(user), BudgetPeriod.MONTH, 100.0);
    RecordingProvider model = RecordingProvider.scripted("rec", answer("never sent"));
    SessionHarness session = new SessionHarness(fixture, services(model));

    start(session, agent, user);
    SessionView done = session.awaitFinished();

    assertEquals("ERROR", done.status());
    assertTrue(done.error().contains("month budget of agent:" + agent), done.error());
    session.await("the user's reservation is released", () -> budget(Budget.userSubject(user)).reservedUsd() == 0.0);
    assertEquals(0.0, budget(Budget.userSubject(user)).periods().get(2).spentUsd());
  }

  @Test
  void aCallWithinBudgetIsSettledAtItsActualCostAndCounted() throws Exception {
    String user = "thrifty-" + NAMES.incrementAndGet();
    setLimit(Budget.userSubject(user), BudgetPeriod.DAY, 1.0);
    RecordingProvider model = RecordingProvider.scripted("rec", answer("Forty-two, give or take."));
    SessionHarness session = new SessionHarness(fixture, services(model));
    String[] modelLabel = {"model"};
    String[] gpt4o = {"gpt-4o-2024-08-06"};
    double dollarsBefore = sample("api_cost_dollars_total", modelLabel, gpt4o);
    String[] tokenLabels = {"provider", "model", "direction"};
    String[] gpt4oOutput = {"rec", "gpt-4o-2024-08-06", "output"};
    double outputBefore = sample("embm_llm_tokens_total", tokenLabels, gpt4oOutput);

    start(session, "thrifty-agent-" + NAMES.incrementAndGet(), user);
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status(), done::toString);
    double actual = costs.pricing().cost("gpt-4o", done.inputTokens(), done.outputTokens()).costUsd();
    assertTrue(actual > 0);
    session.await("settled at the actual cost", () -> {
      Budget.BudgetView v = budget(Budget.userSubject(user));
      return v.openReservations() == 0 && Math.abs(v.periods().get(0).spentUsd() - actual) < 1e-12;
    });
    assertEquals(dollarsBefore + actual, sample("api_cost_dollars_total", modelLabel, gpt4o), 1e-12);
    assertEquals(outputBefore + done.outputTokens(), sample("embm_llm_tokens_total", tokenLabels, gpt4oOutput));
  }
}
