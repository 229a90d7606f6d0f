package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.assertJournal;
import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.agent;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static io.troupe.runtime.agent.SessionTestDoubles.call;
import static io.troupe.runtime.agent.SessionTestDoubles.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.MovableClock;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionState.ToolCallRecord;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * A session whose entity stops at any step (its node died) resumes from its journal when it is
 * spawned again, by itself: a model call in flight is asked again, a tool call that had started
 * runs again with the same call id, a completed tool call never runs again, a finished session
 * stays finished. Not forever: resumed troupe.sessions.max-resume-attempts (3) times in a row
 * without a step journaled, it is parked (FAILED_RECOVERY) and waits for a cancel; and resumes
 * wait for a turn at their node's {@link ResumeGate}. (A sharded session whose entity crashes:
 * {@link SessionCrashTest}.)
 */
@TroupeNodeTest(config = {
    // The sessions here run unsharded (SessionHarness): the reviver must not wake sharded twins
    // of them (it looks at its start, before any, and then only sessions older than this).
    "troupe.sessions.revive-interval = 1h"})
class SessionRecoveryTest {

  private static final int MAX_RESUME_ATTEMPTS = ResumeSettings.DEFAULT.maxResumeAttempts();
  private static final Principal ADMIN = new Principal("admin", "k-admin", Role.ADMIN);

  /** The node's clock: a session's maximum duration passes when it is moved. */
  @FromNode private static MovableClock CLOCK;
  @FromNode private static NodeFixture fixture;

  @Test
  void aModelCallInFlightIsAskedAgainAfterARestart() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count"), answer("done")).holdReply(1);
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));

    session.start(agent("test", "count"), "go");
    session.await("the first model call", () -> model.requests().size() == 1);
    assertJournal(session, "SessionStarted");

    session.restart();
    session.await("the model asked again", () -> model.requests().size() == 2);
    assertEquals(model.requests().get(0).messages(), model.requests().get(1).messages());
    model.release(); // answers both; the first incarnation's answer goes nowhere

    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status());
    assertEquals("done", done.output());
    assertEquals(2, done.iterations());
    assertEquals(Map.of(session.callId("call_1_1"), 1), count.runsByCallId());
    assertEquals(3, model.requests().size());
    assertJournal(session, "SessionStarted", "SessionResumed", "LlmResponded", "ToolCallStarted",
        "ToolCallCompleted", "LlmResponded", "SessionCompleted");
    session.expectPassivated();
  }

  @Test
  void aToolCallInFlightRunsAgainWithTheSameCallIdAfterARestart() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("slow"), answer("done"));
    CompletableFuture<JsonNode> gate = new CompletableFuture<>();
    RecordingTool slow = RecordingTool.gated("slow", gate);
    SessionHarness session = new SessionHarness(fixture, services(model, slow));

    session.start(agent("test", "slow"), "go");
    String callId = session.callId("call_1_1");
    session.await("the tool to start", () -> slow.runs(callId) == 1);
    assertEquals(ToolCallRecord.STARTED, session.view().toolCalls().get(0).outcome());

    session.restart();
    session.await("the tool to run again", () -> slow.runs(callId) == 2);
    assertEquals(Map.of(callId, 2), slow.runsByCallId(), "both runs saw the same call id");
    gate.complete(json("{\"slept\":true}"));

    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status());
    assertEquals(List.of(new ToolCallRecord("call_1_1", "slow", "{\"n\":1}", 1, ToolCallRecord.OK,
        "{\"slept\":true}", null, done.toolCalls().get(0).durationMillis())), done.toolCalls());
    assertEquals(2, model.requests().size(), "the model's reply was not asked for again");
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionResumed",
        "ToolCallCompleted", "LlmResponded", "SessionCompleted");
    session.expectPassivated();
  }

  @Test
  void aCompletedToolCallNeverRunsAgainAfterARestart() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count"), answer("done")).holdReply(2);
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));

    session.start(agent("test", "count"), "go");
    session.await("the second model call", () -> model.requests().size() == 2);
    assertEquals(ToolCallRecord.OK, session.view().toolCalls().get(0).outcome());

    session.restart();
    session.await("the second model call asked again", () -> model.requests().size() == 3);
    assertEquals(model.requests().get(1).messages(), model.requests().get(2).messages(),
        "the resumed session shows the model the same conversation, tool result included");
    model.release();

    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status());
    assertEquals("done", done.output());
    assertEquals(Map.of(session.callId("call_1_1"), 1), count.runsByCallId());
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "SessionResumed", "LlmResponded", "SessionCompleted");
    session.expectPassivated();
  }

  @Test
  void ofTwoCallsOnlyTheOneThatHadNotCompletedRunsAgain() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count", "slow"), answer("done"));
    RecordingTool count = RecordingTool.counting("count");
    CompletableFuture<JsonNode> gate = new CompletableFuture<>();
    RecordingTool slow = RecordingTool.gated("slow", gate);
    SessionHarness session = new SessionHarness(fixture, services(model, count, slow));

    session.start(agent("test", "count", "slow"), "go");
    session.await("the second tool to start", () -> slow.runs(session.callId("call_1_2")) == 1);

    session.restart();
    session.await("the second tool to run again", () -> slow.runs(session.callId("call_1_2")) == 2);
    gate.complete(json("{\"slept\":true}"));

    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status());
    assertEquals(Map.of(session.callId("call_1_1"), 1), count.runsByCallId());
    assertEquals(Map.of(session.callId("call_1_2"), 2), slow.runsByCallId());
    assertEquals(List.of(ToolCallRecord.OK, ToolCallRecord.OK),
        done.toolCalls().stream().map(ToolCallRecord::outcome).toList());
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "ToolCallStarted", "SessionResumed", "ToolCallCompleted", "LlmResponded", "SessionCompleted");
  }

  @Test
  void aFinishedSessionStaysFinishedAndRunsNothingAfterARestart() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count"), answer("done"));
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));
    session.start(agent("test", "count"), "go");
    SessionView before = session.awaitFinished();
    session.expectPassivated();

    session.restart();
    session.shard.expectNoMessage(Duration.ofMillis(500)); // time to do anything it wrongly would

    SessionView after = session.view();
    assertEquals("COMPLETED", after.status());
    assertEquals(before.output(), after.output());
    assertEquals(before.endedAt(), after.endedAt());
    assertEquals(before.toolCalls(), after.toolCalls());
    assertEquals(2, model.requests().size());
    assertEquals(Map.of(session.callId("call_1_1"), 1), count.runsByCallId());
    assertEquals(true, session.start(agent("test", "count"), "go").alreadyStarted());
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "LlmResponded", "SessionCompleted");
  }

  @Test
  void theMaximumDurationCountsFromTheStartAcrossARestart() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("slow"), answer("too late"));
    RecordingTool slow = RecordingTool.gated("slow", new CompletableFuture<>());
    SessionHarness session = new SessionHarness(fixture,
        services(List.of(model), List.of(slow), Duration.ofSeconds(2)));

    session.start(agent("test", "slow"), "go");
    session.await("the tool to start", () -> slow.runs(session.callId("call_1_1")) == 1);
    session.restart();
    session.await("the tool to run again", () -> slow.runs(session.callId("call_1_1")) == 2);
    CLOCK.advance(Duration.ofSeconds(2));
    session.ref().tell(new Session.Deadline()); // the wake-up its deadline timer sends

    SessionView done = session.awaitFinished();
    assertEquals("TIMEOUT", done.status());
    long tookMillis = done.durationMillis();
    assertTrue(tookMillis >= 2000 && tookMillis < 6000, () -> "ended after " + tookMillis + " ms");
    assertEquals(2, slow.runs(session.callId("call_1_1")));
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionResumed", "SessionFailed");
    session.expectPassivated();
  }

  @Test
  void aSessionResumedTooOftenWithoutProgressIsParkedVisiblyAndCanBeCancelled() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("stuck"), answer("never"));
    RecordingTool stuck = RecordingTool.neverCompleting("stuck");
    SessionHarness session = new SessionHarness(fixture, services(model, stuck));
    double parkedBefore = parkedCount("tester");

    session.start(agent("test", "stuck"), "go");
    String callId = session.callId("call_1_1");
    session.await("the tool to start", () -> stuck.runs(callId) == 1);
    for (int resume = 1; resume <= MAX_RESUME_ATTEMPTS; resume++) {
      session.restart(); // as if its node died in the call, each time
      int runs = resume + 1;
      session.await("resume " + resume + " to run the call again", () -> stuck.runs(callId) == runs);
    }
    session.restart();

    SessionView parked = session.awaitStatus("FAILED_RECOVERY");
    assertTrue(parked.error().startsWith(Session.FAILED_RECOVERY + ": resumed 3 times in a row without completing"
        + " a step"), parked::error);
    assertTrue(parked.error().contains("troupe.sessions.max-resume-attempts"), parked::error);
    assertNotNull(parked.endedAt());
    session.expectPassivated(); // out of the remembered set: a restart of its node does not bring it back
    assertEquals(1 + MAX_RESUME_ATTEMPTS, stuck.runs(callId), "parked: the call is not run again");
    assertEquals(List.of(1, 2, 3), session.resumeAttempts());
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionResumed", "SessionResumed",
        "SessionResumed", "SessionParked");
    assertEquals(parkedBefore + 1, parkedCount("tester"));

    session.restart(); // woken again (a read): stays parked, runs nothing
    assertEquals("FAILED_RECOVERY", session.view().status());
    SessionView cancelled = session.cancel();
    assertEquals("CANCELLED", cancelled.status());
    assertEquals(parked.endedAt(), cancelled.endedAt(), "its work ended when it was parked");
    assertEquals(1 + MAX_RESUME_ATTEMPTS, stuck.runs(callId));
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionResumed", "SessionResumed",
        "SessionResumed", "SessionParked", "SessionCancelled");
    session.expectPassivated();
  }

  @Test
  void aStepJournaledBetweenResumesStartsTheCountAgain() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("first"), call("second"), answer("done"));
    CompletableFuture<JsonNode> firstGate = new CompletableFuture<>();
    CompletableFuture<JsonNode> secondGate = new CompletableFuture<>();
    RecordingTool first = RecordingTool.gated("first", firstGate);
    RecordingTool second = RecordingTool.gated("second", secondGate);
    SessionHarness session = new SessionHarness(fixture, services(model, first, second));

    session.start(agent("test", "first", "second"), "go");
    resumeTwice(session, first, session.callId("call_1_1"));
    firstGate.complete(json("{\"ok\":1}")); // progress: a completed tool call
    session.await("the second tool to start", () -> second.runs(session.callId("call_2_1")) == 1);
    resumeTwice(session, second, session.callId("call_2_1"));
    secondGate.complete(json("{\"ok\":2}"));

    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status(), "four resumes, never three in a row without progress");
    assertEquals(List.of(1, 2, 1, 2), session.resumeAttempts());
  }

  private static void resumeTwice(SessionHarness session, RecordingTool tool, String callId) {
    session.await("the tool to start", () -> tool.runs(callId) == 1);
    session.restart();
    session.await("the first resume", () -> tool.runs(callId) == 2);
    session.restart();
    session.await("the second resume", () -> tool.runs(callId) == 3);
  }

  /**
   * Resumes take their turn at the gate: with one turn, one resumed session runs its step while the
   * others wait (RUNNING, and cancellable at once); the next goes when the first journals its step.
   */
  @Test
  void resumedSessionsWaitForATurnAtTheirNodesGate() throws Exception {
    ActorRef<ResumeGate.Command> gate = fixture.testKit.spawn(
        ResumeGate.create(1, Duration.ofMinutes(1), SessionMetrics.get(fixture.node.system())));
    List<CompletableFuture<JsonNode>> gates = new ArrayList<>();
    List<RecordingTool> tools = new ArrayList<>();
    List<SessionHarness> sessions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      CompletableFuture<JsonNode> toolGate = new CompletableFuture<>();
      RecordingTool slow = RecordingTool.gated("slow", toolGate);
      SessionHarness session = new SessionHarness(fixture, services(RecordingProvider.scripted("test", call("slow"),
          answer("done " + i)), slow), gate);
      session.start(agent("test", "slow"), "go");
      session.await("the tool to start", () -> slow.runs(session.callId("call_1_1")) == 1);
      gates.add(toolGate);
      tools.add(slow);
      sessions.add(session);
    }

    sessions.forEach(SessionHarness::restart); // all three come back at once
    sessions.get(0).await("one resumed session runs its step", () -> resumedRuns(tools, sessions) == 1);
    sessions.get(0).shard.expectNoMessage(Duration.ofMillis(500)); // time for a second one, if the gate let it
    assertEquals(1, resumedRuns(tools, sessions), "one turn: the others wait");
    sessions.get(0).await("the other two queued at the gate",
        () -> SessionMetrics.get(fixture.node.system()).resumesWaiting.get() == 2.0);
    int first = resumedIndex(tools, sessions);
    int waitingOne = (first + 1) % 3;
    int waitingTwo = (first + 2) % 3;
    assertEquals("RUNNING", sessions.get(waitingOne).view().status());

    long cancelStart = System.nanoTime();
    assertEquals("CANCELLED", sessions.get(waitingOne).cancel().status(), "a waiting session is cancelled at once");
    assertTrue(System.nanoTime() - cancelStart < Duration.ofSeconds(1).toNanos());

    gates.get(first).complete(json("{\"ok\":true}")); // its step is journaled: its turn ends
    assertEquals("COMPLETED", sessions.get(first).awaitFinished().status());
    SessionHarness last = sessions.get(waitingTwo);
    last.await("the next resumed session runs its step", () -> tools.get(waitingTwo).runs(last.callId("call_1_1")) == 2);
    gates.get(waitingTwo).complete(json("{\"ok\":true}"));
    assertEquals("COMPLETED", last.awaitFinished().status());
    assertEquals(1, tools.get(waitingOne).runs(sessions.get(waitingOne).callId("call_1_1")), "cancelled: never resumed");
    assertEquals(List.of(1), last.resumeAttempts());
  }

  /**
   * A turn is not held forever: a resumed step that takes long lets the next session go after the
   * turn timeout; and a session the gate has no room to queue asks again a second later.
   */
  @Test
  void aLongResumedStepGivesUpItsTurnAfterTheTimeoutAndAFullGateDefers() throws Exception {
    ActorRef<ResumeGate.Command> gate = fixture.testKit.spawn(
        ResumeGate.create(1, Duration.ofMillis(300), 0, SessionMetrics.get(fixture.node.system())));
    List<RecordingTool> tools = new ArrayList<>();
    List<SessionHarness> sessions = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      RecordingTool stuck = RecordingTool.neverCompleting("stuck");
      SessionHarness session = new SessionHarness(fixture, services(RecordingProvider.scripted("test", call("stuck"),
          answer("never")), stuck), gate);
      session.start(agent("test", "stuck"), "go");
      session.await("the tool to start", () -> stuck.runs(session.callId("call_1_1")) == 1);
      tools.add(stuck);
      sessions.add(session);
    }

    sessions.forEach(SessionHarness::restart);
    // One gets the turn; the other, with no room to wait, is deferred and asks again after a
    // second, by when the first's turn (300 ms) has timed out although its call never returns.
    sessions.get(0).await("both resumed", () -> resumedRuns(tools, sessions) == 2);
    sessions.forEach(session -> assertEquals("RUNNING", session.view().status()));
    sessions.forEach(SessionHarness::cancel);
  }

  private static int resumedRuns(List<RecordingTool> tools, List<SessionHarness> sessions) {
    int resumed = 0;
    for (int i = 0; i < tools.size(); i++) {
      resumed += tools.get(i).runs(sessions.get(i).callId("call_1_1")) - 1;
    }
    return resumed;
  }

  private static int resumedIndex(List<RecordingTool> tools, List<SessionHarness> sessions) {
    for (int i = 0; i < tools.size(); i++) {
      if (tools.get(i).runs(sessions.get(i).callId("call_1_1")) == 2) {
        return i;
      }
    }
    throw new AssertionError("no session resumed");
  }

  private static double parkedCount(String agent) {
    Double value = SessionMetrics.get(fixture.node.system()).sessionsParked.labels(agent).get();
    return value == null ? 0 : value;
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
}
