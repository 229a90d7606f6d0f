package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.governance.cost.Budget;
import io.troupe.runtime.governance.cost.BudgetPeriod;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * A session a topic message starts belongs to the message's publisher, and the publisher's budget
 * is the one that decides: a publisher without budget is refused there (the session ends
 * BUDGET_EXCEEDED against that user, and no model is called), not charged to anyone else.
 */
// The model is priced (gpt-4o) but never reachable: a call the budget refuses is never sent.
@TroupeNodeTest(config = "troupe.llm.openai.base-url = \"http://127.0.0.1:9/v1\"")
class SubscriptionBudgetTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  @FromNode private static NodeFixture fixture;



  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aSubscriptionSessionIsOwnedByThePublisherAndRefusedByThePublishersBudget() throws Exception {
    ClusterSharding sharding = ClusterSharding.get(fixture.node.system());
    String publisher = "u-broke-publisher";
    await(sharding.entityRefFor(Budget.ENTITY_KEY, Budget.userSubject(publisher))
        .<Budget.BudgetView>askWithStatus(r -> new Budget.SetLimit(BudgetPeriod.DAY, 0.0001, Map.of(), r), TIMEOUT));
    AgentDefinition listener = new AgentDefinition("Listener", "You listen.", "openai", "gpt-4o", 0.0, 8, 10,
        List.of(), List.of("paid-inbox"), List.of());
    await(Agents.get(fixture.node.system()).define("paid-listener", listener));

    await(sharding.entityRefFor(Topic.ENTITY_KEY, "paid-inbox").<Topic.Published>askWithStatus(
        r -> new Topic.Publish("anyone", null, "note", "{\"n\":1}", null, publisher, r), TIMEOUT));

    Sessions sessions = Sessions.get(fixture.node.system());
    Instant deadline = Instant.now().plusSeconds(30);
    SessionView view = null;
    while (Instant.now().isBefore(deadline)) {
      var ids = fixture.node.journalIds().newestFirst("Session|paid-listener~", 10).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      if (!ids.isEmpty()) {
        view = await(sessions.view("paid-listener~" + ids.get(0).id()));
        if (!"RUNNING".equals(view.status())) {
          break;
        }
      }
      Thread.sleep(100);
    }
    assertTrue(view != null, "the message started a session");
    assertEquals(publisher, view.owner(), "the publisher owns the session");
    assertEquals("ERROR", view.status(), view::toString);
    assertTrue(view.error().startsWith(Session.BUDGET_EXCEEDED + ": the day budget of user:" + publisher), view.error());
    assertEquals(0, view.llmCalls(), "no model call was made");
  }
}
