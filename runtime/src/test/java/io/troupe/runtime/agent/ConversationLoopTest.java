package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static io.troupe.runtime.agent.SessionTestDoubles.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.governance.cost.CostControl;
import io.troupe.runtime.governance.cost.PricingTable;
import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.LlmRequest;
import io.troupe.runtime.llm.ScriptedProvider;
import io.troupe.runtime.llm.ToolCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Conversations on a real journal: turns one after another on the whole history, and a
 * 200-turn conversation whose every model request stays inside the agent's context window and
 * stays well-formed (system prompt first, then a user message; no tool result without its call,
 * no call without its results), the older turns left out being recorded in the replies' events.
 */
// The harness runs its sessions outside sharding: the reviver must not wake a sharded copy of one.
@TroupeNodeTest(config = "troupe.sessions.revive-interval = 1h")
class ConversationLoopTest {

  @FromNode private static NodeFixture fixture;

  private static final int WINDOW = 3_000;
  private static final int TURNS = 200;

  private static AgentDefinition conversational(String provider, List<String> tools, int window) {
    return new AgentDefinition("a partner", "You talk at length.", provider, "test-model", 0.7, 8, 10, tools, List.of(),
        List.of(), true, List.of(), 0, window);
  }

  private static String text(String what, int turn) {
    return what + " " + turn + ": " + "lorem ipsum dolor sit amet ".repeat(12);
  }

  @Test
  void twoHundredTurnsStayInsideTheContextWindowAndWellFormed() throws Exception {
    List<ScriptedProvider.Reply> replies = new ArrayList<>();
    for (int turn = 1; turn <= TURNS; turn++) {
      if (turn % 3 == 0) {
        replies.add(call("count", "count")); // two calls in one reply: their results go with it
      }
      replies.add(answer(text("answer", turn)));
    }
    RecordingProvider model = RecordingProvider.scripted("windowed", replies.toArray(ScriptedProvider.Reply[]::new));
    SessionServices services = services(List.of(model), List.of(RecordingTool.counting("count")), Duration.ofMinutes(5));
    SessionHarness session = new SessionHarness(fixture, services);
    session.start(conversational("windowed", List.of("count"), WINDOW), text("question", 1));
    awaitTurn(session, 1);
    for (int turn = 2; turn <= TURNS; turn++) {
      Session.Changed sent = session.message(text("question", turn), "m-" + turn);
      assertNull(sent.refused(), () -> "message refused: " + sent.refused());
      assertEquals(turn, sent.turn());
      awaitTurn(session, turn);
    }
    SessionView last = session.view();
    assertEquals(TURNS, last.turnCount());
    assertEquals(text("answer", TURNS), last.output(), "every turn got its own reply of the script, in order");

    CostControl estimator = CostControl.unbudgeted(new PricingTable(List.of()));
    List<LlmRequest> requests = model.requests();
    assertEquals(replies.size(), requests.size());
    int truncated = 0;
    for (int i = 0; i < requests.size(); i++) {
      LlmRequest r = requests.get(i);
      String where = "request " + (i + 1);
      long estimate = estimator.estimateInputTokens(r.messages(), r.tools());
      assertTrue(estimate + r.maxOutputTokens() <= WINDOW, where + ": " + estimate + " + " + r.maxOutputTokens()
          + " tokens exceed the window of " + WINDOW);
      assertWellFormed(r.messages(), where);
      if (r.omittedReplies() > 0) {
        truncated++;
      }
    }
    assertTrue(truncated > requests.size() / 2, "the window cut most later requests, " + truncated + " were cut");
    List<Session.LlmResponded> replied = session.journal().stream().filter(e -> e instanceof Session.LlmResponded)
        .map(e -> (Session.LlmResponded) e).toList();
    assertEquals(0, replied.get(0).droppedMessages());
    assertTrue(replied.get(replied.size() - 1).droppedMessages() > 0, "the last reply's event says what was left out");
  }

  private static void awaitTurn(SessionHarness session, int turn) {
    session.await("turn " + turn + " ends", () -> {
      SessionView v = session.view();
      return v.turnCount() == turn && "WAITING_FOR_INPUT".equals(v.status());
    });
  }

  /** System first, then a user message; every tool result after its call; every call answered. */
  private static void assertWellFormed(List<ChatMessage> messages, String where) {
    assertEquals("system", messages.get(0).role(), where);
    assertEquals("user", messages.get(1).role(), where + ": the first message after the system prompt is a user's");
    Set<String> called = new HashSet<>();
    Set<String> answered = new HashSet<>();
    for (ChatMessage m : messages) {
      if ("assistant".equals(m.role())) {
        m.toolCalls().stream().map(ToolCall::id).forEach(called::add);
      }
      if ("tool".equals(m.role())) {
        assertTrue(called.contains(m.toolCallId()), where + ": tool result " + m.toolCallId() + " without its call");
        answered.add(m.toolCallId());
      }
    }
    assertEquals(called, answered, where + ": every call sent has its result");
    assertEquals("user", messages.stream().filter(m -> !"tool".equals(m.role()) && !"assistant".equals(m.role()))
        .reduce((a, b) -> b).orElseThrow().role(), where);
  }

  @Test
  void aMessageSentWhileATurnRunsWaitsItsTurnAndARepeatedMessageCountsOnce() {
    RecordingProvider model = RecordingProvider.scripted("held", answer("one"), answer("two"), answer("three"))
        .holdReply(1);
    SessionHarness session = new SessionHarness(fixture, services(model));
    session.start(conversational("held", List.of(), 0), "first");
    session.await("the first call is made", () -> model.requests().size() == 1);
    Session.Changed queued = session.message("second", "m-2");
    assertTrue(queued.queued());
    assertEquals(2, queued.turn());
    Session.Changed again = session.message("second", "m-2");
    assertNull(again.refused());
    assertEquals(1, session.view().queuedMessages(), "the repeated message was taken once");
    assertEquals(3, session.message("third", "m-3").turn());
    model.release();
    session.await("three turns ran, in order", () -> session.view().turnCount() == 3
        && "WAITING_FOR_INPUT".equals(session.view().status()));
    SessionView view = session.view();
    assertEquals(List.of("first", "second", "third"), view.turns().stream().map(SessionState.Turn::input).toList());
    assertEquals(List.of("one", "two", "three"), view.turns().stream().map(SessionState.Turn::output).toList());
    assertEquals(0, view.queuedMessages());
    // Each turn's request carried the whole history: the third saw both earlier answers.
    List<ChatMessage> third = model.requests().get(2).messages();
    assertEquals(List.of("system", "user", "assistant", "user", "assistant", "user"),
        third.stream().map(ChatMessage::role).toList());
    assertFalse(view.turns().get(2).endedAt() == null);
  }
}
