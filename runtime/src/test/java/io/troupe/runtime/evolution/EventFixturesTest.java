package io.troupe.runtime.evolution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.agent.SessionState;
import io.troupe.runtime.broker.Subscriber;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.governance.cost.Budget;
import io.troupe.runtime.governance.cost.BudgetPeriod;
import io.troupe.runtime.governance.cost.BudgetState;
import io.troupe.runtime.governance.security.ApiUser;
import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.ToolCall;
import io.troupe.runtime.llm.Usage;
import io.troupe.runtime.tool.CallChain;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Journals written by earlier versions stay readable: every event and snapshot type of the
 * runtime's entities has stored bytes under {@code src/test/resources/event-fixtures/v1/}, and
 * each must read back, field by field, as {@link #expected()} says. See EVOLUTION.md.
 *
 * <p>Write missing fixtures (never existing ones) with
 * {@code mvn -B -q -pl runtime -am test -Dtest=EventFixturesTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dtroupe.fixtures.write=true [-Dtroupe.fixtures.version=v2]}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventFixturesTest {

  private static EventFixtures fixtures;

  @BeforeAll
  static void open() {
    fixtures = EventFixtures.open(EventFixturesTest.class, "event-fixtures");
  }

  @AfterAll
  static void close() {
    fixtures.close();
  }

  /**
   * What each stored fixture must read as with today's code, per version. These values were the
   * samples the fixtures were written from. When a record gains a field, the compiler points here:
   * pass the value old journals must read as (null or the default), never the new sample's value.
   */
  static Map<String, Map<String, Object>> expected() {
    return Map.of("v1", v1(), "v2", v2(), "v3", v3());
  }

  private static final Instant AT = Instant.parse("2026-11-22T10:15:30.123Z");
  private static final Instant LATER = Instant.parse("2026-11-22T10:16:02.456Z");

  /**
   * Subscriber positions record who acknowledged (issue 13, point 6): the first is the owner. An
   * ADMIN grants a user permissions beyond the role (point 7). Agents record their owner and
   * whether they are shared (point 4). Sessions record their resumes and are parked after too
   * many without progress (point 2).
   */
  /**
   * Sessions that wait for people (issue 14): conversational agents with approvals and a context
   * window; turns, queued messages, approvals; model replies with their cost and the messages
   * the context window left out; a conversation closed by its owner.
   */
  private static Map<String, Object> v3() {
    AgentDefinition chat = new AgentDefinition("a careful partner", "You talk, and ask before acting.", "scripted",
        "gpt-test", 0.0, 5, 30, List.of("publish_to_topic"), List.of(),
        List.of(new AgentDefinition.ScriptedReply("hello", List.of())), true, List.of("publish_to_topic"), 600, 32000);
    Map<String, Object> v3 = EventFixtures.samples(
        new Session.TurnStarted(2, "and then?", false, "u-alice/retry-1", AT),
        new Session.InputQueued("one more thing", "u-alice/retry-2", AT),
        new Session.TurnCompleted(2, "then this", LATER.plusSeconds(86_400), LATER),
        new Session.ApprovalRequested("call_3_1", "publish_to_topic", "{\"topic\":\"t\"}", LATER.plusSeconds(600), AT),
        new Session.ApprovalDecided("call_3_1", "REJECTED", "u-alice", "not today", LATER));
    v3.put("Session.SessionStarted.conversational", new Session.SessionStarted("chat", chat, "hello", "u-alice", AT,
        CallChain.root("chat~0001764932130123-00000000000000aa", "chat")));
    v3.put("Session.LlmResponded.priced", new Session.LlmResponded(3, "answer", List.of(), new Usage(900, 12), false,
        false, 120, AT, 0.0125, 14));
    v3.put("Session.SessionCompleted.closed", new Session.SessionCompleted("then this", LATER, "closed"));
    v3.put("Session.ApprovalDecided.timedOut", new Session.ApprovalDecided("call_4_1", "TIMED_OUT", null, null, LATER));
    // Sessions snapshot their state (issue 14, point 4): a conversation with every field set, and
    // a running session as old journals fold to it (no owner, no chain, nothing ended, no turns
    // recorded, a call still in flight).
    ToolCall published = new ToolCall("call_1_1", "publish_to_topic", "{\"topic\":\"t\"}");
    ToolCall waiting = new ToolCall("call_2_1", "publish_to_topic", "{\"topic\":\"u\"}");
    v3.put("SessionState", new SessionState(SessionState.Status.AWAITING_APPROVAL, "chat", chat, "hello", "u-alice",
        List.of(ChatMessage.system("You talk, and ask before acting."), ChatMessage.user("hello"),
            ChatMessage.assistant("publishing", List.of(published)),
            ChatMessage.tool("call_1_1", "publish_to_topic", "{\"offset\":1}"), ChatMessage.user("and then?"),
            ChatMessage.assistant(null, List.of(waiting))),
        2, List.of(waiting),
        List.of(new SessionState.ToolCallRecord("call_1_1", "publish_to_topic", published.argumentsJson(), 1,
                SessionState.ToolCallRecord.OK, "{\"offset\":1}", null, 17),
            new SessionState.ToolCallRecord("call_2_1", "publish_to_topic", waiting.argumentsJson(), 2,
                SessionState.ToolCallRecord.ERROR, null, "rejected: not today", 3)),
        1200, 34, 1, 2, AT, LATER, "published", "an earlier turn failed",
        new CallChain("planner~0001764932130123-1a2b", "chat~0001764932130456-3c4d5e6f7a8b9c0d", "u-alice",
            "k-7f3a", List.of("planner", "chat")),
        3,
        List.of(new SessionState.Turn(1, "hello", "published", 2, 1000, 30, 0.0125, AT, LATER),
            new SessionState.Turn(2, "and then?", null, 1, 200, 4, 0.002, LATER, null)),
        List.of("one more thing"),
        List.of(new SessionState.Approval("call_1_1", 1, "publish_to_topic", published.argumentsJson(), AT,
                AT.plusSeconds(600), SessionState.Approval.APPROVED, "u-alice", "go ahead", LATER),
            new SessionState.Approval("call_2_1", 2, "publish_to_topic", waiting.argumentsJson(), LATER,
                LATER.plusSeconds(600), null, null, null, null)),
        LATER, List.of("u-alice/retry-1", "u-alice/retry-2")));
    v3.put("SessionState.running", new SessionState(SessionState.Status.RUNNING, "scout", chat, "find it", null,
        List.of(ChatMessage.system("You scout."), ChatMessage.user("find it"),
            ChatMessage.assistant("", List.of(published))),
        1, List.of(published),
        List.of(new SessionState.ToolCallRecord("call_1_1", "publish_to_topic", published.argumentsJson(), 1,
            SessionState.ToolCallRecord.STARTED, null, null, 0)),
        40, 0, 0, 1, AT, null, null, null, null, 0, List.of(), List.of(), List.of(), null, List.of()));
    return v3;
  }

  private static Map<String, Object> v2() {
    AgentDefinition privateScout = new AgentDefinition("a private scout", "You scout alone.", "scripted", "gpt-test",
        0.5, 4, 20, List.of("count"), List.of("inbox"), List.of(new AgentDefinition.ScriptedReply("alone", List.of())));
    Map<String, Object> v2 = EventFixtures.samples(new Subscriber.OffsetAcked(4, AT, "u-alice"),
        new ApiUser.PermissionGranted(io.troupe.runtime.governance.Permission.DECONFLICTION_PRIORITY, AT),
        new ApiUser.PermissionRevoked(io.troupe.runtime.governance.Permission.DECONFLICTION_PRIORITY, LATER),
        new Agent.AgentDefined(privateScout, LATER, "u-5b1e9c0d7a3f2e81", false),
        // Sessions record their call chain (issue 13, point 11): a child two calls below its root.
        new Session.SessionStarted("helper", privateScout, "look again", "u-5b1e9c0d7a3f2e81", LATER,
            new CallChain("planner~0001764932130123-1a2b", "scout~0001764932130456-3c4d5e6f7a8b9c0d",
                "u-5b1e9c0d7a3f2e81", "k-7f3a",
                List.of("planner", "scout", "helper"))),
        new Session.SessionResumed(2, AT),
        new Session.SessionParked(3, "FAILED_RECOVERY: resumed 3 times in a row without completing a step", LATER),
        // An ADMIN set a user's own quotas; unset ones (null) stay the defaults (point 13).
        new ApiUser.QuotasSet(new io.troupe.runtime.governance.quota.UserQuotas(5, 2, null, 40), AT),
        new ApiUser.TopicClaimed("orders", LATER));
    // A root a topic message started: no parent, no API key.
    v2.put("Session.SessionStarted.root", new Session.SessionStarted("scout", privateScout, "a message", "u-alice", AT,
        CallChain.root("scout~0001764932130123-0000000000000009", "scout")));
    return v2;
  }

  private static Map<String, Object> v1() {
    AgentDefinition definition = new AgentDefinition("a scout", "You scout.", "scripted", "gpt-test", 0.25, 6, 45,
        List.of("count", "call_agent"), List.of("orders", "alerts"),
        List.of(new AgentDefinition.ScriptedReply("looking", List.of(
                new AgentDefinition.ScriptedToolCall("count", "{\"n\":1}"))),
            new AgentDefinition.ScriptedReply("done", List.of())));
    LinkedHashMap<String, Long> recentKeys = new LinkedHashMap<>();
    recentKeys.put("tool:scout~1/call_1_1", 5L);
    recentKeys.put("client-retry-7", 9L);
    Map<String, Object> v1 = EventFixtures.samples(
        new Topic.MessagePublished(9, "planner", "executor", "task", "{\"id\":42,\"tags\":[\"a\"]}", AT,
            "client-retry-7"),
        new Topic.State(9, recentKeys),
        new Subscriber.OffsetAcked(4, AT),
        // Stored before owners were recorded: the administrator's, and shared.
        new Agent.AgentDefined(definition, AT, Agent.SYSTEM_OWNER, true),
        new Agent.AgentRetired(LATER),
        new Session.SessionStarted("scout", definition, "find it", "user-1", AT, null),
        new Session.LlmResponded(2, "thinking", List.of(new ToolCall("call_2_1", "count", "{\"n\":1}"),
            new ToolCall("call_2_2", "call_agent", "{\"agent\":\"helper\",\"input\":\"x\"}")),
            new Usage(1200, 34), true, true, 250, AT),
        new Session.ToolCallStarted("call_2_1", "count", "{\"n\":1}", AT),
        new Session.ToolCallCompleted("call_2_1", "count", true, "{\"echo\":1}", null, 17, LATER),
        new Session.SessionCompleted("found it", LATER),
        new Session.SessionFailed(true, "the session exceeded its maximum duration of 900 s", LATER),
        new Session.SessionCancelled(LATER),
        new ApiUser.UserCreated("alice", Role.USER, AT),
        new ApiUser.RoleChanged(Role.READONLY, LATER),
        new ApiUser.KeyIssued("k-7f3a", "ci pipeline", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            AT),
        new ApiUser.KeyRevoked("k-7f3a", LATER),
        new ApiUser.BootstrapKeyReplaced("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", LATER),
        new Budget.LimitSet(BudgetPeriod.WEEK, 25.5, Map.of(BudgetPeriod.DAY, 1.5, BudgetPeriod.WEEK, 4.25), AT),
        new Budget.Reserved("scout~1/2", 0.125, AT),
        new Budget.Settled("scout~1/2", 0.0625, LATER),
        new Budget.Expired("scout~1/3", LATER),
        new BudgetState(Map.of(BudgetPeriod.DAY, 5.0, BudgetPeriod.WEEK, 25.5),
            Map.of(BudgetPeriod.DAY, new BudgetState.PeriodSpend(BudgetPeriod.DAY.start(AT), 1.75),
                BudgetPeriod.WEEK, new BudgetState.PeriodSpend(BudgetPeriod.WEEK.start(AT), 4.25)),
            Map.of("scout~1/4", new BudgetState.Reservation(0.5, AT)),
            List.of("scout~1/2", "scout~1/3")));
    // Second samples where null is what old journals hold: no recipient, no idempotency key, no
    // user; a failed tool call with no result.
    v1.put("Topic.MessagePublished.bare", new Topic.MessagePublished(3, "s", null, "note", "\"text\"", AT, null));
    v1.put("Session.SessionStarted.anonymous", new Session.SessionStarted("scout", definition, "find it", null, AT, null));
    v1.put("Session.ToolCallCompleted.failed",
        new Session.ToolCallCompleted("call_2_2", "call_agent", false, null, "agent helper is retired", 3, LATER));
    return v1;
  }

  @Test
  @Order(0)
  @org.junit.jupiter.api.Tag(EventFixtures.WRITER_TAG)
  void writeMissingFixtures() throws Exception {
    String version = EventFixtures.writeVersion();
    List<String> written = fixtures.writeMissing(version, expected().get(version));
    System.out.println("event fixtures written to " + fixtures.root().resolve(version) + ": " + written);
  }

  @Test
  void everyStoredFixtureReadsAsExpectedFieldByField() throws Exception {
    fixtures.assertAllReadAsExpected(expected());
  }

  @Test
  void everyJournaledTypeHasAStoredFixture() throws Exception {
    Set<Class<?>> journaled = PersistedTypes.journaledBy(Topic.class, Map.of());
    assertTrue(journaled.containsAll(List.of(Topic.MessagePublished.class, Topic.State.class, BudgetState.class,
        Session.SessionCancelled.class)), "entity discovery missed known types: " + journaled);
    Set<String> missing = new TreeSet<>();
    Set<Class<?>> covered = fixtures.coveredTypes();
    for (Class<?> type : journaled) {
      if (!covered.contains(type)) {
        missing.add(type.getName());
      }
    }
    assertEquals(Set.of(), missing, "journaled types without a stored fixture: add a sample to expected()"
        + " and write it with -Dtroupe.fixtures.write=true (see EVOLUTION.md)");
  }
}
