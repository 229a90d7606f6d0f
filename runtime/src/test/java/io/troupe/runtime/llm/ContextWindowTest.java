package io.troupe.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.governance.cost.CostControl;
import io.troupe.runtime.governance.cost.PricingTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which part of a conversation is sent: a long conversation with tool calls grows request by
 * request and every request stays within the window and well-formed; then the edge cases.
 */
class ContextWindowTest {

  private static final TokenEstimator ESTIMATOR = new TokenEstimator(4);
  private static final ChatMessage SYSTEM = ChatMessage.system("You deconflict spectrum requests. " + text(0, 400));
  private static final List<ToolSchema> TOOLS = List.of(
      new ToolSchema("spectrum_request", "Ask for a frequency allocation", "{\"type\":\"object\"}"),
      new ToolSchema("spectrum_release", "Release an allocation", "{\"type\":\"object\"}"));
  private static final long RESERVED = 1000;
  private static final int TURNS = 200;
  private static final int HUGE_TOOL_RESULT_TURN = 121;
  private static final int HUGE_USER_TURN = 150;

  /** A conversation and the points (prefix lengths) where a session would call the model. */
  private record Growing(List<ChatMessage> messages, List<Integer> callPoints, List<Integer> turnOfCallPoint) {}

  @Test
  void aTwoHundredTurnConversationStaysWithinTheWindowAndWellFormed() {
    Growing conversation = growing();
    int userMessagesSeen = 0;
    List<ChatMessage> firstTwentyTurns = new ArrayList<>();
    for (ChatMessage m : conversation.messages()) {
      userMessagesSeen += m.role().equals("user") ? 1 : 0;
      if (userMessagesSeen > 20) {
        break;
      }
      firstTwentyTurns.add(m);
    }
    long window = ESTIMATOR.estimateInputTokens(firstTwentyTurns, TOOLS) + RESERVED;
    ContextWindow contextWindow = new ContextWindow(window, RESERVED, ESTIMATOR);
    CostControl costs = CostControl.unbudgeted(new PricingTable(List.of()));

    int firstTruncatedTurn = -1;
    int truncated = 0;
    int trimmed = 0;
    int overflowing = 0;
    for (int i = 0; i < conversation.callPoints().size(); i++) {
      List<ChatMessage> prefix = conversation.messages().subList(0, conversation.callPoints().get(i));
      int turn = conversation.turnOfCallPoint().get(i);
      ContextWindow.Fit fit = contextWindow.fit(prefix, TOOLS);
      assertWellFormed(prefix, TOOLS, fit, contextWindow);

      LlmRequest request = new LlmRequest("gpt-4o", fit.messages(), TOOLS, 0.0, Duration.ofMinutes(1));
      assertEquals(costs.estimate(request).inputTokens(), fit.estimatedInputTokens(), "the budgets' estimate");
      if (fit.overflows()) {
        overflowing++;
        assertEquals(HUGE_USER_TURN, turn, "only the turn whose user message alone exceeds the window overflows");
      } else {
        assertTrue(fit.estimatedInputTokens() + RESERVED <= window, "request " + i + " is within the window");
      }
      if (fit.newestTurnTrimmed()) {
        trimmed++;
        assertEquals(HUGE_TOOL_RESULT_TURN, turn, "only the turn with the oversize tool result is trimmed");
      }
      if (fit.truncated()) {
        truncated++;
        firstTruncatedTurn = firstTruncatedTurn < 0 ? turn : firstTruncatedTurn;
      }
    }
    assertEquals(20, firstTruncatedTurn, "the first twenty turns fill the window exactly");
    assertTrue(truncated > conversation.callPoints().size() * 3 / 4, truncated + " requests truncated");
    assertTrue(trimmed > 0, "the oversize tool result trims its turn");
    assertTrue(overflowing > 0, "the oversize user message overflows");
  }

  @Test
  void aConversationThatFitsIsSentAsItIs() {
    List<ChatMessage> conversation = List.of(SYSTEM, ChatMessage.user("Allocate 5 MHz near 2.4 GHz"),
        call("c1", "spectrum_request"), ChatMessage.tool("c1", "spectrum_request", "{\"granted\":true}"),
        ChatMessage.assistant("Granted.", List.of()), ChatMessage.user("Thanks"));
    ContextWindow.Fit fit = new ContextWindow(128_000, 4096, ESTIMATOR).fit(conversation, TOOLS);
    assertSame(conversation, fit.messages());
    assertEquals(0, fit.droppedMessages());
    assertEquals(0, fit.droppedTurns());
    assertFalse(fit.truncated());
    assertFalse(fit.newestTurnTrimmed());
    assertFalse(fit.overflows());
    assertEquals(ESTIMATOR.estimateInputTokens(conversation, TOOLS), fit.estimatedInputTokens());
  }

  @Test
  void olderTurnsAreDroppedWhole() {
    ChatMessage user1 = ChatMessage.user(text(1, 4000));
    ChatMessage user2 = ChatMessage.user(text(2, 400));
    ChatMessage reply2 = ChatMessage.assistant(text(3, 400), List.of());
    ChatMessage user3 = ChatMessage.user(text(4, 400));
    List<ChatMessage> conversation = List.of(SYSTEM, user1, call("a", "spectrum_request"),
        ChatMessage.tool("a", "spectrum_request", text(5, 400)), ChatMessage.assistant("ok", List.of()),
        user2, reply2, user3);
    long window = ESTIMATOR.estimateInputTokens(List.of(SYSTEM, user2, reply2, user3), List.of()) + 100;
    ContextWindow.Fit fit = new ContextWindow(window, 100, ESTIMATOR).fit(conversation, List.of());
    assertEquals(List.of(SYSTEM, user2, reply2, user3), fit.messages());
    assertEquals(4, fit.droppedMessages());
    assertEquals(1, fit.droppedTurns());
    assertTrue(fit.truncated());
    assertFalse(fit.newestTurnTrimmed());
  }

  @Test
  void toolSchemasCountAgainstTheWindow() {
    ChatMessage user1 = ChatMessage.user(text(1, 400));
    ChatMessage user2 = ChatMessage.user(text(2, 400));
    List<ChatMessage> conversation = List.of(SYSTEM, user1, user2);
    long window = ESTIMATOR.estimateInputTokens(conversation, List.of()) + 10;
    ContextWindow contextWindow = new ContextWindow(window, 10, ESTIMATOR);
    assertEquals(conversation, contextWindow.fit(conversation, List.of()).messages());
    assertEquals(List.of(SYSTEM, user2), contextWindow.fit(conversation, TOOLS).messages());
  }

  @Test
  void anOversizeNewestTurnKeepsItsUserMessageAndItsNewestUnits() {
    ChatMessage user1 = ChatMessage.user("earlier");
    ChatMessage user2 = ChatMessage.user(text(1, 400));
    ChatMessage hugeCall = call("big", "spectrum_request");
    ChatMessage hugeResult = ChatMessage.tool("big", "spectrum_request", text(2, 40_000));
    ChatMessage smallCall = call("small", "spectrum_release");
    ChatMessage smallResult = ChatMessage.tool("small", "spectrum_release", text(3, 400));
    ChatMessage reply = ChatMessage.assistant(text(4, 400), List.of());
    List<ChatMessage> conversation = List.of(SYSTEM, user1, ChatMessage.assistant("hi", List.of()), user2,
        hugeCall, hugeResult, smallCall, smallResult, reply);
    long window = ESTIMATOR.estimateInputTokens(List.of(SYSTEM, user2, smallCall, smallResult, reply), TOOLS) + 500;
    ContextWindow contextWindow = new ContextWindow(window, 500, ESTIMATOR);

    ContextWindow.Fit fit = contextWindow.fit(conversation, TOOLS);
    assertEquals(List.of(SYSTEM, user2, smallCall, smallResult, reply), fit.messages());
    assertTrue(fit.newestTurnTrimmed());
    assertEquals(1, fit.droppedTurns());
    assertEquals(4, fit.droppedMessages());
    assertFalse(fit.overflows());
    assertWellFormed(conversation, TOOLS, fit, contextWindow);

    ContextWindow.Fit justTheHugeOne = contextWindow.fit(conversation.subList(0, 6), TOOLS);
    assertEquals(List.of(SYSTEM, user2), justTheHugeOne.messages(), "a call is never sent without its result");
    assertTrue(justTheHugeOne.newestTurnTrimmed());
    assertFalse(justTheHugeOne.overflows());
  }

  @Test
  void aUserMessageThatAloneExceedsTheWindowIsSentAndReported() {
    ChatMessage huge = ChatMessage.user(text(1, 40_000));
    List<ChatMessage> conversation = List.of(SYSTEM, ChatMessage.user("earlier"),
        ChatMessage.assistant("ok", List.of()), huge);
    ContextWindow.Fit fit = new ContextWindow(2000, 500, ESTIMATOR).fit(conversation, TOOLS);
    assertEquals(List.of(SYSTEM, huge), fit.messages());
    assertTrue(fit.overflows());
    assertFalse(fit.newestTurnTrimmed(), "nothing but the user message was there to trim");
    assertEquals(1, fit.droppedTurns());
    assertEquals(2, fit.droppedMessages());
    assertEquals(ESTIMATOR.estimateInputTokens(fit.messages(), TOOLS), fit.estimatedInputTokens());
  }

  @Test
  void parallelCallsAndTheirResultsAreNeverSplit() {
    ChatMessage user = ChatMessage.user("Request three channels");
    ChatMessage parallel = ChatMessage.assistant(null, List.of(new ToolCall("p1", "spectrum_request", "{\"mhz\":1}"),
        new ToolCall("p2", "spectrum_request", "{\"mhz\":2}"), new ToolCall("p3", "spectrum_request", "{\"mhz\":3}")));
    ChatMessage r1 = ChatMessage.tool("p1", "spectrum_request", text(1, 2000));
    ChatMessage r2 = ChatMessage.tool("p2", "spectrum_request", text(2, 2000));
    ChatMessage r3 = ChatMessage.tool("p3", "spectrum_request", text(3, 400));
    ChatMessage reply = ChatMessage.assistant(text(4, 400), List.of());
    List<ChatMessage> conversation = List.of(SYSTEM, user, parallel, r1, r2, r3, reply);
    // Room for r2, r3 and the reply, but not for the call with all three results.
    long window = ESTIMATOR.estimateInputTokens(List.of(SYSTEM, user, r2, r3, reply), List.of()) + 100;
    ContextWindow contextWindow = new ContextWindow(window, 100, ESTIMATOR);
    for (int end = 3; end <= conversation.size(); end++) {
      List<ChatMessage> prefix = conversation.subList(0, end);
      assertWellFormed(prefix, List.of(), contextWindow.fit(prefix, List.of()), contextWindow);
    }
    assertEquals(List.of(SYSTEM, user, reply), contextWindow.fit(conversation, List.of()).messages());
    assertEquals(List.of(SYSTEM, user, parallel, r1), contextWindow.fit(conversation.subList(0, 4), List.of())
        .messages(), "a call whose other results have not come yet is sent with the one that has");
  }

  @Test
  void nothingBeforeTheFirstUserMessageNorAnUnansweredResultIsSent() {
    ChatMessage user = ChatMessage.user("Go");
    List<ChatMessage> conversation = List.of(SYSTEM, ChatMessage.system("Second system message"),
        ChatMessage.assistant("Hello, how can I help?", List.of()), call("early", "spectrum_request"), user,
        ChatMessage.tool("early", "spectrum_request", "{}"), ChatMessage.tool("nobody", "spectrum_request", "{}"));
    ContextWindow.Fit fit = new ContextWindow(128_000, 0, ESTIMATOR).fit(conversation, TOOLS);
    assertEquals(List.of(SYSTEM, conversation.get(1), user), fit.messages());
    assertEquals(4, fit.droppedMessages());
    assertEquals(0, fit.droppedTurns());
  }

  @Test
  void aReusedCallIdAnswersItsLatestCall() {
    ChatMessage first = call("call_1", "spectrum_request");
    ChatMessage firstResult = ChatMessage.tool("call_1", "spectrum_request", text(1, 4000));
    ChatMessage user2 = ChatMessage.user("again");
    ChatMessage second = call("call_1", "spectrum_request");
    ChatMessage secondResult = ChatMessage.tool("call_1", "spectrum_request", "{}");
    List<ChatMessage> conversation = List.of(SYSTEM, ChatMessage.user("once"), first, firstResult, user2, second,
        secondResult);
    long window = ESTIMATOR.estimateInputTokens(List.of(SYSTEM, user2, second, secondResult), List.of()) + 10;
    ContextWindow.Fit fit = new ContextWindow(window, 10, ESTIMATOR).fit(conversation, List.of());
    assertEquals(List.of(SYSTEM, user2, second, secondResult), fit.messages());
  }

  @Test
  void emptyAndSystemOnlyConversationsAreSentAsTheyAre() {
    ContextWindow contextWindow = new ContextWindow(1000, 0, ESTIMATOR);
    assertEquals(List.of(), contextWindow.fit(List.of(), null).messages());
    assertEquals(List.of(SYSTEM), contextWindow.fit(List.of(SYSTEM), null).messages());
    assertThrows(IllegalArgumentException.class, () -> new ContextWindow(0, 0, ESTIMATOR));
    assertThrows(IllegalArgumentException.class, () -> new ContextWindow(10, -1, ESTIMATOR));
  }

  /**
   * What every request must be: the conversation's leading system messages, then a user message;
   * a subsequence of the conversation holding its newest user message; every tool result after
   * the call it answers and every call with the results it has; counts that add up; within the
   * window unless reported; and no older whole turn left out that would have fitted.
   */
  private static void assertWellFormed(List<ChatMessage> conversation, List<ToolSchema> tools, ContextWindow.Fit fit,
                                       ContextWindow window) {
    List<ChatMessage> sent = fit.messages();
    int systems = 0;
    while (systems < conversation.size() && conversation.get(systems).role().equals("system")) {
      assertSame(conversation.get(systems), sent.get(systems), "the system prompt comes first");
      systems++;
    }
    if (sent.size() > systems) {
      assertEquals("user", sent.get(systems).role(), "the first message after the system prompt");
    }
    int at = 0;
    for (ChatMessage m : sent) {
      while (at < conversation.size() && conversation.get(at) != m) {
        at++;
      }
      assertTrue(at++ < conversation.size(), "sent messages keep the conversation's order");
    }
    ChatMessage newestUser = null;
    for (ChatMessage m : conversation) {
      newestUser = m.role().equals("user") ? m : newestUser;
    }
    if (newestUser != null) {
      assertTrue(containsSame(sent, newestUser), "the newest user message is sent");
    }

    Map<ChatMessage, ChatMessage> callerInConversation = callers(conversation);
    Map<ChatMessage, ChatMessage> callerInSent = callers(sent);
    for (ChatMessage m : sent) {
      if (m.role().equals("tool")) {
        assertSame(callerInConversation.get(m), callerInSent.get(m), "a tool result is sent after its own call");
        assertTrue(callerInSent.get(m) != null, "a tool result is sent with its call");
      }
    }
    Set<ChatMessage> sentSet = Collections.newSetFromMap(new IdentityHashMap<>());
    sentSet.addAll(sent);
    callerInConversation.forEach((result, caller) -> assertEquals(sentSet.contains(caller), sentSet.contains(result),
        "a call and its result are sent together"));

    long usersInConversation = conversation.stream().filter(m -> m.role().equals("user")).count();
    long usersSent = sent.stream().filter(m -> m.role().equals("user")).count();
    assertEquals(conversation.size() - sent.size(), fit.droppedMessages());
    assertEquals(usersInConversation - usersSent, fit.droppedTurns());
    assertEquals(ESTIMATOR.estimateInputTokens(sent, tools), fit.estimatedInputTokens());
    assertEquals(fit.estimatedInputTokens() + window.reservedOutputTokens() > window.windowTokens(), fit.overflows());
    if (fit.overflows()) {
      assertEquals(systems + 1, sent.size(), "an overflowing request holds only the system prompt and the user message");
    }

    if (!fit.newestTurnTrimmed() && fit.droppedTurns() > 0) {
      int firstSent = indexOfSame(conversation, sent.get(systems));
      int olderTurn = firstSent - 1;
      while (!conversation.get(olderTurn).role().equals("user")) {
        olderTurn--;
      }
      List<ChatMessage> withOlderTurn = new ArrayList<>(sent.subList(0, systems));
      withOlderTurn.addAll(conversation.subList(olderTurn, firstSent));
      withOlderTurn.addAll(sent.subList(systems, sent.size()));
      assertTrue(ESTIMATOR.estimateInputTokens(withOlderTurn, tools) + window.reservedOutputTokens()
          > window.windowTokens(),
          "the next older turn would not have fitted");
    }
  }

  /** Each tool result's call: the latest assistant message before it with a call of its id. */
  private static Map<ChatMessage, ChatMessage> callers(List<ChatMessage> messages) {
    Map<ChatMessage, ChatMessage> callers = new IdentityHashMap<>();
    Map<String, ChatMessage> byCallId = new HashMap<>();
    for (ChatMessage m : messages) {
      m.toolCalls().forEach(c -> byCallId.put(c.id(), m));
      if (m.role().equals("tool") && byCallId.containsKey(m.toolCallId())) {
        callers.put(m, byCallId.get(m.toolCallId()));
      }
    }
    return callers;
  }

  /**
   * 200 turns: a user message, up to three rounds of one to three tool calls with their results
   * (in two turns of three), a reply. One turn has a tool result larger than the window, a later
   * one a user message larger than the window.
   */
  private static Growing growing() {
    Random random = new Random(14);
    List<ChatMessage> messages = new ArrayList<>(List.of(SYSTEM));
    List<Integer> callPoints = new ArrayList<>();
    List<Integer> turnOfCallPoint = new ArrayList<>();
    for (int turn = 0; turn < TURNS; turn++) {
      int userLength = turn == HUGE_USER_TURN ? 400_000 : 200 + random.nextInt(1300);
      messages.add(ChatMessage.user(text(random.nextInt(), userLength)));
      callPoints.add(messages.size());
      turnOfCallPoint.add(turn);
      int rounds = turn == HUGE_TOOL_RESULT_TURN ? 3 : turn % 3 == 0 ? 0 : 1 + random.nextInt(3);
      for (int round = 0; round < rounds; round++) {
        List<ToolCall> calls = new ArrayList<>();
        for (int c = 0; c < 1 + random.nextInt(3); c++) {
          calls.add(new ToolCall("call-" + turn + "-" + round + "-" + c, TOOLS.get(c % 2).name(),
              "{\"note\":\"" + text(random.nextInt(), 20 + random.nextInt(180)) + "\"}"));
        }
        messages.add(ChatMessage.assistant(round == 0 ? null : text(random.nextInt(), 80), calls));
        for (ToolCall call : calls) {
          boolean huge = turn == HUGE_TOOL_RESULT_TURN && round == 0;
          messages.add(ChatMessage.tool(call.id(), call.name(),
              text(random.nextInt(), huge ? 400_000 : 100 + random.nextInt(2900))));
        }
        callPoints.add(messages.size());
        turnOfCallPoint.add(turn);
      }
      messages.add(ChatMessage.assistant(text(random.nextInt(), 100 + random.nextInt(900)), List.of()));
    }
    return new Growing(List.copyOf(messages), callPoints, turnOfCallPoint);
  }

  private static ChatMessage call(String id, String tool) {
    return ChatMessage.assistant(null, List.of(new ToolCall(id, tool, "{\"mhz\":5}")));
  }

  /** Filler text of a given length, different per seed. */
  private static String text(int seed, int length) {
    StringBuilder text = new StringBuilder(length);
    String word = "w" + Integer.toHexString(seed) + " ";
    while (text.length() < length) {
      text.append(word);
    }
    return text.substring(0, length);
  }

  private static boolean containsSame(List<ChatMessage> messages, ChatMessage message) {
    return indexOfSame(messages, message) >= 0;
  }

  private static int indexOfSame(List<ChatMessage> messages, ChatMessage message) {
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i) == message) {
        return i;
      }
    }
    return -1;
  }
}
