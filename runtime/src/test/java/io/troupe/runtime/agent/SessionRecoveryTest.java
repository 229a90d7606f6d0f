package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.assertJournal;
import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.agent;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static io.troupe.runtime.agent.SessionTestDoubles.call;
import static io.troupe.runtime.agent.SessionTestDoubles.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.MovableClock;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionState.ToolCallRecord;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A session whose entity stops at any step (its node died) resumes from its journal when it is
 * spawned again, by itself: a model call in flight is asked again, a tool call that had started
 * runs again with the same call id, a completed tool call never runs again, a finished session
 * stays finished.
 */
@TroupeNodeTest
class SessionRecoveryTest {

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
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "LlmResponded", "SessionCompleted");
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
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "LlmResponded", "SessionCompleted");
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
        "LlmResponded", "SessionCompleted");
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
        "ToolCallStarted", "ToolCallCompleted", "LlmResponded", "SessionCompleted");
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
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "SessionFailed");
    session.expectPassivated();
  }
}
