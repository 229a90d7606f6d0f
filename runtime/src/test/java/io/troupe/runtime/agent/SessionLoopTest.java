package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.assertJournal;
import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.agent;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static io.troupe.runtime.agent.SessionTestDoubles.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionState.ToolCallRecord;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.LlmProvider;
import io.troupe.runtime.llm.LlmRequest;
import io.troupe.runtime.llm.LlmResponse;
import io.troupe.runtime.llm.ScriptedProvider;
import io.troupe.runtime.llm.ToolCall;
import io.troupe.runtime.llm.ToolSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The session loop on a real journal, along every path that reaches a final answer: model →
 * tool calls (journaled before and after they run) → model again, with tool results and tool
 * errors going back to the model.
 */
@TroupeNodeTest
class SessionLoopTest {

  @FromNode private static NodeFixture fixture;

  @Test
  void aTextOnlyAnswerCompletesTheSessionInOneIteration() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", answer("42"));
    SessionHarness session = new SessionHarness(fixture, services(model));

    Session.Started started = session.start(agent("test"), "what is six times seven?");
    assertEquals(session.sessionId, started.sessionId());
    assertFalse(started.alreadyStarted());

    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status());
    assertEquals("42", done.output());
    assertNull(done.error());
    assertEquals(1, done.iterations());
    assertEquals(List.of(), done.toolCalls());
    assertEquals("what is six times seven?", done.input());
    assertEquals("user-1", done.userId());
    assertTrue(done.endedAt() != null && !done.endedAt().isBefore(done.startedAt()));
    LlmRequest request = model.requests().get(0);
    assertEquals(List.of(ChatMessage.system("You test things."), ChatMessage.user("what is six times seven?")),
        request.messages());
    assertEquals("test-model", request.model());
    assertJournal(session, "SessionStarted", "LlmResponded", "SessionCompleted");
    session.expectPassivated();
  }

  @Test
  void aToolResultGoesBackToTheModel() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count"), answer("counted"));
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));

    session.start(agent("test", "count"), "count one");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status());
    assertEquals("counted", done.output());
    assertEquals(2, done.iterations());
    assertEquals(List.of(new ToolCallRecord("call_1_1", "count", "{\"n\":1}", 1, ToolCallRecord.OK,
        "{\"echo\":{\"n\":1}}", null, done.toolCalls().get(0).durationMillis())), done.toolCalls());
    assertEquals(Map.of(session.callId("call_1_1"), 1), count.runsByCallId());

    List<LlmRequest> requests = model.requests();
    assertEquals(2, requests.size());
    assertEquals(List.of(new ToolSchema("count", "test tool count", count.parameters().toString())),
        requests.get(0).tools(), "the model is offered the agent's tools");
    List<ChatMessage> seen = requests.get(1).messages();
    assertEquals(4, seen.size());
    assertEquals(ChatMessage.assistant("", List.of(new ToolCall("call_1_1", "count", "{\"n\":1}"))), seen.get(2));
    assertEquals(ChatMessage.tool("call_1_1", "count", "{\"echo\":{\"n\":1}}"), seen.get(3));
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "LlmResponded", "SessionCompleted");
    session.expectPassivated();
  }

  @Test
  void twoToolCallsInOneReplyRunOneAfterTheOtherInOrder() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count", "count"), answer("both done"));
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));

    session.start(agent("test", "count"), "count twice");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status());
    assertEquals(List.of(session.callId("call_1_1"), session.callId("call_1_2")), count.order());
    assertEquals(List.of("call_1_1", "call_1_2"), done.toolCalls().stream().map(ToolCallRecord::callId).toList());
    List<ChatMessage> seen = model.requests().get(1).messages();
    assertEquals(List.of("call_1_1", "call_1_2"), seen.subList(3, 5).stream().map(ChatMessage::toolCallId).toList());
    assertEquals("{\"echo\":{\"n\":2}}", seen.get(4).content());
    // Each call is journaled as started before it runs and completed before the next one starts.
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "ToolCallStarted", "ToolCallCompleted", "LlmResponded", "SessionCompleted");
  }

  @Test
  void aFailingToolIsAnErrorForTheModelAndTheSessionGoesOn() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("explode"), answer("it failed, sorry"));
    RecordingTool explode = RecordingTool.failing("explode", "the \"reactor\" is offline");
    SessionHarness session = new SessionHarness(fixture, services(model, explode));

    session.start(agent("test", "explode"), "try it");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status());
    assertEquals("it failed, sorry", done.output());
    ToolCallRecord record = done.toolCalls().get(0);
    assertEquals(ToolCallRecord.ERROR, record.outcome());
    assertEquals("the \"reactor\" is offline", record.error());
    assertNull(record.result());
    assertEquals(ChatMessage.tool("call_1_1", "explode", "{\"error\":\"the \\\"reactor\\\" is offline\"}"),
        model.requests().get(1).messages().get(3));
    assertEquals(1, explode.runs(session.callId("call_1_1")));
  }

  @Test
  void aToolTheAgentMayNotUseIsAnErrorForTheModelAndNeverRuns() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("forbidden", "missing"), answer("ok then"));
    RecordingTool count = RecordingTool.counting("count");
    RecordingTool forbidden = RecordingTool.counting("forbidden");
    // "missing" is one of the agent's tools but not registered on this node.
    SessionHarness session = new SessionHarness(fixture, services(model, count, forbidden));

    session.start(agent("test", "count", "missing"), "use what you should not");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status());
    assertEquals("ok then", done.output());
    assertEquals(Map.of(), forbidden.runsByCallId(), "a tool outside the agent's list never runs");
    ToolCallRecord notAllowed = done.toolCalls().get(0);
    assertEquals(ToolCallRecord.ERROR, notAllowed.outcome());
    assertTrue(notAllowed.error().contains("forbidden is not available to this agent"), notAllowed.error());
    ToolCallRecord unknown = done.toolCalls().get(1);
    assertEquals(ToolCallRecord.ERROR, unknown.outcome());
    assertTrue(unknown.error().contains("unknown tool 'missing'"), unknown.error());
    List<ChatMessage> seen = model.requests().get(1).messages();
    assertTrue(seen.get(3).content().contains("not available to this agent"), seen.get(3).content());
    assertTrue(seen.get(4).content().contains("unknown tool"), seen.get(4).content());
  }

  /**
   * Issue 13, point 14: a model may escape a lone surrogate in a call's arguments (valid JSON that
   * CBOR cannot hold). The tool used to run and echo it, its result could not be journaled, and the
   * session entity restarted trying; now the call is an error result and the tool never runs.
   */
  @Test
  void argumentsHoldingALoneSurrogateAreAnErrorForTheModelAndTheToolNeverRuns() throws Exception {
    ScriptedProvider.Reply lone = new ScriptedProvider.Reply("", List.of(
        new ScriptedProvider.Call("count", "{\"n\":1,\"note\":\"abc\\ud800\"}")));
    RecordingProvider model = RecordingProvider.scripted("test", lone, answer("could not count"));
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));

    session.start(agent("test", "count"), "count with a broken note");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status(), done::toString);
    assertEquals("could not count", done.output());
    ToolCallRecord refused = done.toolCalls().get(0);
    assertEquals(ToolCallRecord.ERROR, refused.outcome());
    assertTrue(refused.error().contains("lone UTF-16 surrogate at /note"), refused.error());
    assertEquals(Map.of(), count.runsByCallId(), "the tool never ran");
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "LlmResponded", "SessionCompleted");
  }

  @Test
  void aToolThatTakesTooLongTimesOutAsAnErrorAndTheSessionGoesOn() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("hang"), answer("gave up waiting"));
    RecordingTool hang = RecordingTool.neverCompleting("hang");
    SessionHarness session = new SessionHarness(fixture, services(model, hang));

    long startNanos = System.nanoTime();
    session.start(agent("test", List.of("hang"), 8, 1, 0.7), "wait for it");
    SessionView done = session.awaitFinished();
    long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;

    assertEquals("COMPLETED", done.status());
    assertEquals("gave up waiting", done.output());
    ToolCallRecord record = done.toolCalls().get(0);
    assertEquals(ToolCallRecord.ERROR, record.outcome());
    assertEquals("tool hang did not finish within 1000 ms", record.error());
    assertTrue(record.durationMillis() >= 1000 && record.durationMillis() < 5000, () -> "took " + record.durationMillis());
    assertTrue(elapsedMillis >= 1000 && elapsedMillis < 8000, () -> "session took " + elapsedMillis + " ms");
    assertTrue(model.requests().get(1).messages().get(3).content().contains("did not finish within 1000 ms"));
  }

  /** OpenAI-compatible servers may omit call ids; a fallback like "call_0" then recurs in every reply. */
  @Test
  void aCallIdTheModelRepeatsInALaterReplyIsStillANewCall() throws Exception {
    LlmProvider repeating = new LlmProvider() {
      @Override
      public String name() {
        return "repeating";
      }

      @Override
      public CompletionStage<LlmResponse> complete(LlmRequest request, Consumer<String> onToken) {
        long n = request.messages().stream().filter(m -> "assistant".equals(m.role())).count() + 1;
        List<ToolCall> calls = n <= 2 ? List.of(new ToolCall("call_0", "count", "{\"n\":" + n + "}")) : List.of();
        return CompletableFuture.completedFuture(new LlmResponse(n <= 2 ? "" : "twice", calls, null, null));
      }
    };
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(repeating, count));

    session.start(agent("repeating", "count"), "count, then count again");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status());
    assertEquals(3, done.iterations());
    assertEquals(List.of(
            new ToolCallRecord("call_0", "count", "{\"n\":1}", 1, ToolCallRecord.OK, "{\"echo\":{\"n\":1}}", null,
                done.toolCalls().get(0).durationMillis()),
            new ToolCallRecord("call_0", "count", "{\"n\":2}", 2, ToolCallRecord.OK, "{\"echo\":{\"n\":2}}", null,
                done.toolCalls().get(1).durationMillis())),
        done.toolCalls());
    assertEquals(List.of(session.callId("call_0"), session.callId("2/call_0")), count.order(),
        "the second call ran too, under its own idempotency key");
    assertJournal(session, "SessionStarted", "LlmResponded", "ToolCallStarted", "ToolCallCompleted",
        "LlmResponded", "ToolCallStarted", "ToolCallCompleted", "LlmResponded", "SessionCompleted");
  }

  @Test
  void identicalDeterministicSessionsAreAnsweredFromTheCache() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test", call("count"), answer("counted"));
    RecordingTool count = RecordingTool.counting("count");
    SessionServices shared = services(model, count);
    AgentDefinition deterministic = agent("test", List.of("count"), 8, 10, 0.0);

    SessionHarness first = new SessionHarness(fixture, shared);
    first.start(deterministic, "count one");
    SessionView firstDone = first.awaitFinished();
    SessionHarness second = new SessionHarness(fixture, shared);
    second.start(deterministic, "count one");
    SessionView secondDone = second.awaitFinished();

    assertEquals(2, model.requests().size(), "the provider saw only the first session's two calls");
    assertEquals(0, firstDone.cacheHits());
    assertEquals(2, firstDone.cacheMisses());
    assertEquals(2, secondDone.cacheHits());
    assertEquals(0, secondDone.cacheMisses());
    assertEquals("COMPLETED", secondDone.status());
    assertEquals("counted", secondDone.output());
    assertEquals(1, count.runs(second.callId("call_1_1")), "a cached reply's tool calls still run");
    assertTrue(second.journal().stream()
        .filter(e -> e instanceof Session.LlmResponded).allMatch(e -> ((Session.LlmResponded) e).cached()));

    SessionHarness creative = new SessionHarness(fixture, shared);
    creative.start(agent("test", List.of("count"), 8, 10, 0.7), "count one");
    SessionView creativeDone = creative.awaitFinished(Duration.ofSeconds(10));
    assertEquals(0, creativeDone.cacheHits() + creativeDone.cacheMisses(), "temperature > 0 is never cached");
    assertEquals(4, model.requests().size());
  }
}
