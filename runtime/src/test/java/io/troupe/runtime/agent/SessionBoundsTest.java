package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.agent;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static io.troupe.runtime.agent.SessionTestDoubles.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionState.ToolCallRecord;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.llm.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What one session may hold is bounded (troupe.sessions.max-*): tool calls per model reply, bytes
 * per tool result in state and journal, and the whole state; and its view is paged.
 */
@TroupeNodeTest
class SessionBoundsTest {

  @FromNode private static NodeFixture fixture;

  /** A tool answering {"text": "xxx…"} of {@code chars} characters, whatever it is asked. */
  private static RecordingTool large(String name, int chars) {
    String text = "x".repeat(chars);
    return new RecordingTool(name, (ctx, args) ->
        CompletableFuture.completedFuture(JsonNodeFactory.instance.objectNode().put("text", text)));
  }

  @Test
  void callsOfOneReplyBeyondTheBoundAreNotRunAndTheModelSeesWhy() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test",
        call(Collections.nCopies(7, "count").toArray(String[]::new)), answer("done"));
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture,
        services(model, count).withLimits(new SessionLimits(3, 64 * 1024, 4L * 1024 * 1024)));

    session.start(agent("test", "count"), "count a lot");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status(), done::toString);
    assertEquals(3, count.order().size(), "only the first 3 calls ran: " + count.order());
    assertEquals(List.of(session.callId("call_1_1"), session.callId("call_1_2"), session.callId("call_1_3")),
        count.order());
    assertEquals(7, done.toolCallCount());
    List<ToolCallRecord> calls = done.toolCalls();
    assertEquals(List.of("OK", "OK", "OK", "ERROR", "ERROR", "ERROR", "ERROR"),
        calls.stream().map(ToolCallRecord::outcome).toList());
    assertTrue(calls.get(3).error().contains("at most 3 tool calls"), calls.get(3)::error);
    assertTrue(calls.get(3).error().contains("troupe.sessions.max-tool-calls-per-reply"), calls.get(3)::error);

    List<ChatMessage> seen = model.requests().get(1).messages();
    List<ChatMessage> results = seen.subList(3, seen.size());
    assertEquals(7, results.size(), "every call has a result for the model");
    assertEquals(List.of("call_1_1", "call_1_2", "call_1_3", "call_1_4", "call_1_5", "call_1_6", "call_1_7"),
        results.stream().map(ChatMessage::toolCallId).toList(), "in the order of the reply");
    assertTrue(results.get(6).content().contains("not run: a model reply may make at most 3 tool calls"),
        results.get(6)::content);

    // A resumed session does not run the refused calls either.
    session.restart();
    assertEquals("COMPLETED", session.view().status());
    assertEquals(3, count.order().size());
  }

  @Test
  void aToolResultIsKeptUpToTheBoundWithAMarkerInStateJournalAndTheModelsRequest() throws Exception {
    int bound = 4096;
    RecordingProvider model = RecordingProvider.scripted("test", call("big"), answer("read it"));
    SessionHarness session = new SessionHarness(fixture,
        services(model, large("big", 100_000)).withLimits(new SessionLimits(16, bound, 4L * 1024 * 1024)));

    session.start(agent("test", "big"), "read the big thing");
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status(), done::toString);
    Session.ToolCallCompleted stored = session.journal().stream()
        .filter(e -> e instanceof Session.ToolCallCompleted).map(e -> (Session.ToolCallCompleted) e)
        .findFirst().orElseThrow();
    int storedBytes = stored.result().getBytes(StandardCharsets.UTF_8).length;
    assertTrue(storedBytes <= bound, "journaled " + storedBytes + " bytes");
    assertTrue(storedBytes > bound - 200, "keeps what fits: " + storedBytes + " bytes");
    assertTrue(stored.result().startsWith("{\"text\":\"xxx"), stored::result);
    assertTrue(stored.result().contains("[truncated: "), stored::result);
    int total = ("{\"text\":\"" + "x".repeat(100_000) + "\"}").length();
    int kept = stored.result().indexOf('…');
    assertTrue(stored.result().contains((total - kept) + " of " + total + " bytes cut"), stored::result);
    assertTrue(stored.result().contains("troupe.sessions.max-tool-result-bytes"), stored::result);
    assertEquals(stored.result(), model.requests().get(1).messages().get(3).content(), "the model sees the cut result");
  }

  @Test
  void aSessionHoldingMoreThanItsStateBoundEndsErrorWithAClearReason() throws Exception {
    // Each result is cut to 8 KiB; the state bound is 20 KiB, so the third result passes it.
    RecordingProvider model = RecordingProvider.scripted("test", call("big"), call("big"), call("big"),
        call("big"), call("big"), answer("never"));
    RecordingTool big = large("big", 50_000);
    SessionHarness session = new SessionHarness(fixture,
        services(model, big).withLimits(new SessionLimits(16, 8 * 1024, 20 * 1024)));

    session.start(agent("test", List.of("big"), 10, 10, 0.7), "read forever");
    SessionView done = session.awaitFinished();

    assertEquals("ERROR", done.status(), done::toString);
    assertTrue(done.error().startsWith(SessionLimits.STATE_TOO_LARGE + ": "), done::error);
    assertTrue(done.error().contains("troupe.sessions.max-state-bytes"), done::error);
    assertEquals(3, big.order().size(), "no step after the bound was passed");
    assertEquals(3, model.requests().size());
    session.expectPassivated();
  }

  @Test
  void theViewPagesToolCalls() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("test",
        call(Collections.nCopies(5, "count").toArray(String[]::new)), answer("done"));
    SessionHarness session = new SessionHarness(fixture, services(model, RecordingTool.counting("count")));
    session.start(agent("test", "count"), "count");
    session.awaitFinished();

    SessionState state = SessionState.EMPTY;
    for (Session.Event e : session.journal()) {
      state = state.apply(e);
    }
    SessionView first = SessionView.of(session.sessionId, state, java.time.Instant.now(), 0, 2);
    assertEquals(List.of("call_1_1", "call_1_2"), first.toolCalls().stream().map(ToolCallRecord::callId).toList());
    assertEquals(5, first.toolCallCount());
    assertEquals(0, first.toolCallsFrom());
    assertEquals(2, first.toolCallsNext());
    SessionView last = SessionView.of(session.sessionId, state, java.time.Instant.now(), 4, 2);
    assertEquals(List.of("call_1_5"), last.toolCalls().stream().map(ToolCallRecord::callId).toList());
    assertEquals(null, last.toolCallsNext());
    SessionView beyond = SessionView.of(session.sessionId, state, java.time.Instant.now(), 9, 2);
    assertEquals(List.of(), beyond.toolCalls());
    assertEquals(5, beyond.toolCallsFrom());
  }
}
