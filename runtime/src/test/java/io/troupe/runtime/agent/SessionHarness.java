package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.llm.LlmProvider;
import io.troupe.runtime.llm.ResponseCache;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * One Session entity spawned directly on a real node (journal in PostgreSQL), with a probe in
 * place of its shard. {@link #restart()} stops it and spawns it again under the same id, as when
 * its node dies and another node takes the session over.
 */
final class SessionHarness {

  static final Duration TIMEOUT = Duration.ofSeconds(10);

  final String sessionId = SessionIds.next("tester");
  final TestProbe<ClusterSharding.ShardCommand> shard;
  private final NodeFixture fixture;
  private final SessionServices services;
  private final ActorRef<ResumeGate.Command> gate;
  private ActorRef<Session.Command> ref;

  SessionHarness(NodeFixture fixture, SessionServices services) {
    this(fixture, services, ResumeGate.get(fixture.node.system()));
  }

  /** Resumes wait for their turn at {@code gate} instead of the node's. */
  SessionHarness(NodeFixture fixture, SessionServices services, ActorRef<ResumeGate.Command> gate) {
    this.fixture = fixture;
    this.services = services;
    this.gate = gate;
    this.shard = fixture.testKit.createTestProbe();
    this.ref = fixture.testKit.spawn(Session.create(sessionId, shard.getRef(), services, gate));
  }

  static SessionServices services(List<LlmProvider> providers, List<Tool> tools, Duration maxDuration) {
    ToolRegistry registry = new ToolRegistry();
    tools.forEach(registry::register);
    Map<String, LlmProvider> byName = providers.stream().collect(Collectors.toMap(LlmProvider::name, Function.identity()));
    return new SessionServices(byName, registry, new ResponseCache(100), Duration.ofSeconds(10), maxDuration);
  }

  static SessionServices services(LlmProvider provider, Tool... tools) {
    return services(List.of(provider), Arrays.asList(tools), Duration.ofMinutes(5));
  }

  ActorRef<Session.Command> ref() {
    return ref;
  }

  /** The id a tool sees for the model's call {@code modelCallId} in this session. */
  String callId(String modelCallId) {
    return sessionId + "/" + modelCallId;
  }

  Session.Started start(AgentDefinition definition, String input) {
    TestProbe<StatusReply<Session.Started>> probe = fixture.testKit.createTestProbe();
    ref.tell(new Session.Start("tester", definition, input, "user-1", null, probe.getRef()));
    StatusReply<Session.Started> reply = probe.receiveMessage(TIMEOUT);
    assertTrue(reply.isSuccess(), () -> "start failed: " + reply);
    return reply.getValue();
  }

  /** Sends a conversation a message; answers the entity's reply (a refusal is in it, not thrown). */
  Session.Changed message(String input, String messageId) {
    TestProbe<Session.Changed> probe = fixture.testKit.createTestProbe();
    ref.tell(new Session.Message(input, messageId, probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  SessionView view() {
    TestProbe<SessionView> probe = fixture.testKit.createTestProbe();
    ref.tell(new Session.Get(probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  SessionView cancel() {
    TestProbe<StatusReply<SessionView>> probe = fixture.testKit.createTestProbe();
    ref.tell(new Session.Cancel(probe.getRef()));
    StatusReply<SessionView> reply = probe.receiveMessage(TIMEOUT);
    assertTrue(reply.isSuccess(), () -> "cancel failed: " + reply);
    return reply.getValue();
  }

  /** Waits until the session has finished, and returns it. */
  SessionView awaitFinished(Duration max) {
    TestProbe<Object> waiter = fixture.testKit.createTestProbe();
    return waiter.awaitAssert(max, () -> {
      SessionView v = view();
      assertTrue(SessionState.Status.valueOf(v.status()).finished(), () -> "still " + v.status() + ": " + v);
      return v;
    });
  }

  SessionView awaitFinished() {
    return awaitFinished(TIMEOUT);
  }

  /** Waits until the session's status is {@code status} (e.g. FAILED_RECOVERY, which is not finished). */
  SessionView awaitStatus(String status) {
    TestProbe<Object> waiter = fixture.testKit.createTestProbe();
    return waiter.awaitAssert(TIMEOUT, () -> {
      SessionView v = view();
      assertEquals(status, v.status(), v::toString);
      return v;
    });
  }

  /** Waits until {@code condition} holds, failing after {@link #TIMEOUT}. */
  void await(String what, BooleanSupplier condition) {
    TestProbe<Object> waiter = fixture.testKit.createTestProbe();
    waiter.awaitAssert(TIMEOUT, () -> {
      assertTrue(condition.getAsBoolean(), () -> "waited for: " + what);
      return null;
    });
  }

  /** A finished session asks its shard to passivate it, exactly once. */
  void expectPassivated() {
    shard.expectMessage(TIMEOUT, new ClusterSharding.Passivate<>(ref));
    shard.expectNoMessage(Duration.ofMillis(200));
  }

  /** Stops the entity and spawns it again with the same id: it recovers from the journal. */
  void restart() {
    fixture.testKit.stop(ref, TIMEOUT);
    ref = fixture.testKit.spawn(Session.create(sessionId, shard.getRef(), services, gate));
  }

  /** The session's events as stored in PostgreSQL, in order. */
  List<Session.Event> journal() throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(fixture.node.system().classicSystem())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    String persistenceId = PersistenceId.of(Session.ENTITY_KEY.name(), sessionId).id();
    return journal.currentEventsByPersistenceId(persistenceId, 0, Long.MAX_VALUE)
        .map(e -> (Session.Event) e.event())
        .runWith(Sink.seq(), fixture.node.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The attempt of each stored {@link Session.SessionResumed}, in order. */
  List<Integer> resumeAttempts() throws Exception {
    return journal().stream().filter(e -> e instanceof Session.SessionResumed)
        .map(e -> ((Session.SessionResumed) e).attempt()).toList();
  }

  /** The simple names of the stored events, e.g. [SessionStarted, LlmResponded, SessionCompleted]. */
  List<String> journalTypes() throws Exception {
    return journal().stream().map(e -> e.getClass().getSimpleName()).toList();
  }

  static void assertJournal(SessionHarness session, String... types) throws Exception {
    assertEquals(List.of(types), session.journalTypes());
  }
}
