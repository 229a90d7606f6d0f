package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.assertJournal;
import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.agent;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static io.troupe.runtime.agent.SessionTestDoubles.call;
import static io.troupe.runtime.agent.SessionTestDoubles.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.MovableClock;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionState.ToolCallRecord;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.llm.LlmException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * How a session ends other than with an answer: too many iterations, a failed model call, a
 * provider the node does not have, a cancel (within a second, also on a loaded node), its maximum
 * duration; and a repeated Start.
 */
@TroupeNodeTest
class SessionEndingTest {

  /** The node's clock: a session's maximum duration passes when it is moved. */
  @FromNode private static MovableClock CLOCK;
  @FromNode private static NodeFixture fixture;

  @Test
  void aModelThatNeverStopsCallingToolsEndsAtMaxIterations() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count"), call("count"), call("count"));
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));

    session.start(agent("test", List.of("count"), 2, 10, 0.7), "loop forever");
    SessionView done = session.awaitFinished();

    assertEquals("ERROR", done.status());
    assertEquals("reached maxIterations (2) without a final answer", done.error());
    assertNull(done.output());
    assertEquals(2, done.iterations());
    assertEquals(2, model.requests().size(), "no third model call");
    assertEquals(Map.of(session.callId("call_1_1"), 1, session.callId("call_2_1"), 1), count.runsByCallId());
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "LlmResponded", "ToolCallStarted", "ToolCallCompleted", "SessionFailed");
    session.expectPassivated();
  }

  @Test
  void aFailedModelCallEndsTheSessionNamingTheProvider() throws Exception {
    RecordingProvider model = RecordingProvider.failing("flaky", new LlmException("flaky", 503, "overloaded"));
    SessionHarness session = new SessionHarness(fixture, services(model));

    session.start(agent("flaky"), "hello?");
    SessionView done = session.awaitFinished();

    assertEquals("ERROR", done.status());
    assertEquals("model call failed: flaky answered HTTP 503: overloaded", done.error());
    assertEquals(0, done.iterations());
    assertEquals(1, model.requests().size());
    assertJournal(session, "SessionStarted", "SessionFailed");
    session.expectPassivated();
  }

  @Test
  void aProviderTheNodeDoesNotHaveEndsTheSession() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", answer("never asked"));
    SessionHarness session = new SessionHarness(fixture, services(model));

    session.start(agent("nowhere"), "hello?");
    SessionView done = session.awaitFinished();

    assertEquals("ERROR", done.status());
    assertEquals("model call failed: no model provider named nowhere", done.error());
    assertEquals(List.of(), model.requests());
    assertJournal(session, "SessionStarted", "SessionFailed");
    session.expectPassivated();
  }

  @Test
  void cancellingWhileAToolRunsEndsTheSessionAndIgnoresTheLateResult() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("slow"), answer("too late"));
    CompletableFuture<JsonNode> gate = new CompletableFuture<>();
    RecordingTool slow = RecordingTool.gated("slow", gate);
    SessionHarness session = new SessionHarness(fixture, services(model, slow));

    session.start(agent("test", "slow"), "take your time");
    session.await("the slow tool to start", () -> slow.runs(session.callId("call_1_1")) == 1);

    SessionView cancelled = session.cancel();
    assertEquals("CANCELLED", cancelled.status());
    assertEquals("cancelled", cancelled.error());
    assertEquals(ToolCallRecord.STARTED, cancelled.toolCalls().get(0).outcome());
    session.expectPassivated();

    gate.complete(json("{\"late\":true}")); // its ToolDone is queued before the Get below
    SessionView after = session.view();
    assertEquals("CANCELLED", after.status());
    assertEquals(ToolCallRecord.STARTED, after.toolCalls().get(0).outcome(), "the late result is not recorded");
    assertEquals(1, model.requests().size());
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionCancelled");
    assertEquals("CANCELLED", session.cancel().status(), "cancelling again changes nothing");
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionCancelled");
  }

  @Test
  void aSessionStillRunningAtItsMaximumDurationTimesOut() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("slow"), answer("too late"));
    CompletableFuture<JsonNode> gate = new CompletableFuture<>();
    RecordingTool slow = RecordingTool.gated("slow", gate);
    SessionHarness session = new SessionHarness(fixture,
        services(List.of(model), List.of(slow), Duration.ofSeconds(1)));

    session.start(agent("test", "slow"), "take your time");
    session.await("the slow tool to start", () -> slow.runs(session.callId("call_1_1")) == 1);
    CLOCK.advance(Duration.ofSeconds(1));
    session.ref().tell(new Session.Deadline()); // the wake-up its deadline timer sends
    SessionView done = session.awaitFinished();

    assertEquals("TIMEOUT", done.status());
    assertEquals("the session exceeded its maximum duration of 1 s", done.error());
    long tookMillis = done.durationMillis();
    assertTrue(tookMillis >= 1000 && tookMillis < 5000, () -> "ended after " + tookMillis + " ms");
    session.expectPassivated();

    gate.complete(json("{\"late\":true}"));
    assertEquals(ToolCallRecord.STARTED, session.view().toolCalls().get(0).outcome());
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionFailed");
  }

  @Test
  void startingTwiceStartsOnce() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", answer("once"));
    SessionHarness session = new SessionHarness(fixture, services(model));

    assertEquals(false, session.start(agent("test"), "first").alreadyStarted());
    Session.Started again = session.start(agent("test"), "second");
    assertEquals(true, again.alreadyStarted());
    assertEquals(session.sessionId, again.sessionId());

    SessionView done = session.awaitFinished();
    assertEquals("first", done.input());
    assertEquals(true, session.start(agent("test"), "third").alreadyStarted(), "also once it has finished");
    assertEquals(1, model.requests().size());
    assertJournal(session, "SessionStarted", "LlmResponded", "SessionCompleted");
  }

  /**
   * A cancel reaches a busy session within a second, however loaded its node: the session has a
   * call in flight and about a megabyte of state, and eight other sessions keep running tool
   * calls with large results meanwhile. Through the service every door uses, as an ADMIN would.
   */
  @Test
  void aCancelEndsABusySessionWithinASecondWhileOtherSessionsLoadTheNode() throws Exception {
    String bulkyText = "y".repeat(48 * 1024);
    RecordingTool bulky = new RecordingTool("bulky", (ctx, args) -> CompletableFuture.supplyAsync(
        () -> (JsonNode) JsonNodeFactory.instance.objectNode().put("text", bulkyText),
        CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS)));
    RecordingTool hold = RecordingTool.neverCompleting("hold_on");
    fixture.node.tools().register(bulky);
    fixture.node.tools().register(hold);
    Sessions sessions = Sessions.get(fixture.node.system());

    // The target: one reply of 16 large results (~800 KB held), then a call that never returns.
    String target = startSharded("busy", List.of(bulkyCalls(16), reply("hold_on")));
    fixture.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(30), () -> {
      assertEquals(1, hold.runs(target + "/call_2_1"), "the target's call is in flight");
      return null;
    });
    // The load: eight sessions of 8 KB results, 16 a reply, until their state bound ends them.
    List<AgentDefinition.ScriptedReply> loadScript = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      loadScript.add(bulkyCalls(16));
    }
    List<String> load = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      load.add(startSharded("load", loadScript));
    }
    int before = bulky.order().size();
    fixture.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(30), () -> {
      assertTrue(bulky.order().size() > before + 100, "the load is running");
      return null;
    });

    long start = System.nanoTime();
    SessionView cancelled = sessions.cancel(target, ADMIN).toCompletableFuture().get(10, TimeUnit.SECONDS);
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals("CANCELLED", cancelled.status());
    assertTrue(tookMillis <= 1000, () -> "the cancel took " + tookMillis + " ms");

    for (String loaded : load.subList(0, 3)) { // and sessions in the middle of the load, likewise
      long loadStart = System.nanoTime();
      SessionView v = sessions.cancel(loaded, ADMIN).toCompletableFuture().get(10, TimeUnit.SECONDS);
      long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
      assertTrue(loadMillis <= 1000, () -> "cancelling " + loaded + " took " + loadMillis + " ms");
      assertTrue(SessionState.Status.valueOf(v.status()).finished(), v::status);
    }
    assertEquals("CANCELLED", sessions.view(target).toCompletableFuture().get(10, TimeUnit.SECONDS).status());
  }

  private static final Principal ADMIN = new Principal("admin", "k-admin", Role.ADMIN);

  private static AgentDefinition.ScriptedReply bulkyCalls(int calls) {
    return new AgentDefinition.ScriptedReply(null,
        java.util.Collections.nCopies(calls, new AgentDefinition.ScriptedToolCall("bulky", "{}")));
  }

  private static AgentDefinition.ScriptedReply reply(String tool) {
    return new AgentDefinition.ScriptedReply(null, List.of(new AgentDefinition.ScriptedToolCall(tool, "{}")));
  }

  /** Starts a session of a scripted agent through sharding, as the service does; returns its id. */
  private static String startSharded(String agentName, List<AgentDefinition.ScriptedReply> script) throws Exception {
    AgentDefinition definition = new AgentDefinition("a " + agentName, null, "scripted", "script", 0, script.size() + 1,
        30, List.of("bulky", "hold_on"), List.of(), script);
    String sessionId = SessionIds.next(agentName);
    ClusterSharding.get(fixture.node.system()).entityRefFor(Session.ENTITY_KEY, sessionId)
        .<Session.Started>askWithStatus(r -> new Session.Start(agentName, definition, "go", "u-load", null, r),
            Duration.ofSeconds(10))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return sessionId;
  }
}
