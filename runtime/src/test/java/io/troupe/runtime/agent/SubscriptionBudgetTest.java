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
// The model is priced (gpt-4o) but never reachable: a call the budget refuses is never sent. A user
// may start 5 sessions an hour (model_running, per user), to show subscriptions are held to it.
@TroupeNodeTest(config = {"troupe.llm.openai.base-url = \"http://127.0.0.1:9/v1\"",
    "troupe.rate-limits.per-user.model_running.per-minute = 5",
    "troupe.rate-limits.per-user.model_running.per-hour = 5"})
class SubscriptionBudgetTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  @FromNode private static NodeFixture fixture;



  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /**
   * Issue 13, point 10: a $0.01 budget refused the agent when started directly, yet 40 messages
   * the same user published ran 40 sessions in 2 s. Now each message's session is the publisher's:
   * refused by the publisher's budget (no model call), and started no faster than the publisher's
   * model_running limit allows (5 here); the rest wait, unacknowledged, in order.
   */
  @Test
  void messagesOfAUserWhoseBudgetRefusesTheAgentStartNoMoreSessionsThanTheUsersLimits() throws Exception {
    ClusterSharding sharding = ClusterSharding.get(fixture.node.system());
    String publisher = "u-cent-publisher";
    String agent = "cent-listener";
    String topic = "cent-inbox";
    await(sharding.entityRefFor(Budget.ENTITY_KEY, Budget.userSubject(publisher))
        .<Budget.BudgetView>askWithStatus(r -> new Budget.SetLimit(BudgetPeriod.DAY, 0.01, Map.of(), r), TIMEOUT));
    await(Agents.get(fixture.node.system()).define(agent, new AgentDefinition("Listener", "You listen.", "openai",
        "gpt-4o", 0.0, 8, 10, List.of(), List.of(topic), List.of())));
    Sessions sessions = Sessions.get(fixture.node.system());

    // Directly: the budget refuses the first model call.
    Sessions.Started direct = await(sessions.start(agent, "hello", new Sessions.Origin.Caller(
        new io.troupe.runtime.governance.Principal(publisher, "k-1", io.troupe.runtime.governance.Role.USER), null)));
    SessionView directView = awaitEnded(sessions, direct.sessionId());
    assertTrue(directView.error().startsWith(Session.BUDGET_EXCEEDED), directView.error());

    for (int i = 1; i <= 40; i++) {
      int n = i;
      await(sharding.entityRefFor(Topic.ENTITY_KEY, topic).<Topic.Published>askWithStatus(
          r -> new Topic.Publish("anyone", null, "note", "{\"n\":" + n + "}", null, publisher, r), TIMEOUT));
    }
    List<SessionView> started = awaitSessions(sessions, agent, 5);
    // Give a 6th start every chance to happen: it must not.
    Thread.sleep(2000);
    started = messageSessions(sessions, agent);
    assertEquals(5, started.size(), "5 sessions per hour for this user, not 40: " + started);
    for (SessionView v : started) {
      assertEquals(publisher, v.owner());
      assertEquals(0, v.llmCalls(), "the budget refused every model call");
    }
    // The waiting messages are neither lost nor skipped: the subscriber acknowledged exactly 5.
    var position = await(io.troupe.runtime.broker.Topics.get(fixture.node.system())
        .position(topic, SubscriptionWorker.subscriberName(agent)));
    assertEquals(6, position.nextOffset(), position::toString);
    assertTrue(io.troupe.runtime.broker.BrokerMetrics.get(fixture.node.system())
        .brokerDeliveriesDeferred.labels("rate_limited").get() >= 1, "the wait is counted");
  }

  private static SessionView awaitEnded(Sessions sessions, String id) throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    SessionView view = await(sessions.view(id));
    while (("RUNNING".equals(view.status()) || "NEW".equals(view.status())) && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
      view = await(sessions.view(id));
    }
    return view;
  }

  /** The sessions messages started for {@code agent} (their ids carry the topic's offset), as they are now. */
  private static List<SessionView> messageSessions(Sessions sessions, String agent) throws Exception {
    var ids = fixture.node.journalIds().newestFirst("Session|" + agent + "~", 100).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    List<SessionView> views = new java.util.ArrayList<>();
    for (var id : ids) {
      SessionView v = await(sessions.view(agent + "~" + id.id()));
      if (!"hello".equals(v.input())) {
        views.add(v);
      }
    }
    return views;
  }

  private static List<SessionView> awaitSessions(Sessions sessions, String agent, int count) throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    List<SessionView> found = messageSessions(sessions, agent);
    while ((found.size() < count || found.stream().anyMatch(v -> "RUNNING".equals(v.status())))
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
      found = messageSessions(sessions, agent);
    }
    return found;
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
