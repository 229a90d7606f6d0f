package io.troupe.runtime.llm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which part of a conversation to send so that a model call stays within the model's context
 * window: the prompt (as {@link TokenEstimator} counts it, the estimate budgets use) plus the
 * tokens reserved for the reply must not exceed {@code windowTokens}.
 *
 * <p>A conversation is the system message(s) first, then turns. A turn starts at a user message
 * and holds the units that follow it: an assistant message together with the tool results that
 * answer its calls, or a plain assistant message (any other message, such as a later system
 * message, is a unit of its own). The policy:
 * <ul>
 *   <li>The system messages at the start and the tool schemas are always sent.</li>
 *   <li>The newest whole turns that fit are sent; older turns are dropped whole.</li>
 *   <li>A unit is sent or dropped whole: never a tool result without the assistant message that
 *       called it, nor that assistant message without the results it has.</li>
 *   <li>The first message after the system messages is a user message (Anthropic requires it), so
 *       anything before the first user message is never sent, nor is a tool result whose call
 *       appears nowhere before it.</li>
 *   <li>When even the newest turn alone does not fit, its user message is sent with the newest of
 *       its units that fit, older units of that turn dropped ({@link Fit#newestTurnTrimmed}).</li>
 *   <li>When the system messages, tool schemas and the newest user message alone do not fit, they
 *       are sent anyway and {@link Fit#overflows} says so: the provider will then refuse the call
 *       or cut the prompt itself.</li>
 * </ul>
 * Deterministic and linear in the conversation's length.
 *
 * @param windowTokens         the model's context window, prompt and reply together
 * @param reservedOutputTokens tokens kept free for the reply (the call's maximum output)
 * @param estimator            how tokens are counted; the budgets' estimator
 */
public record ContextWindow(long windowTokens, long reservedOutputTokens, TokenEstimator estimator) {

  public ContextWindow {
    if (windowTokens <= 0) {
      throw new IllegalArgumentException("windowTokens must be positive, was " + windowTokens);
    }
    if (reservedOutputTokens < 0) {
      throw new IllegalArgumentException("reservedOutputTokens must not be negative, was " + reservedOutputTokens);
    }
  }

  /**
   * What to send, and what was left out (for the session to record in its events).
   *
   * @param messages              the messages to send, in conversation order
   * @param droppedMessages       messages of the conversation left out
   * @param droppedTurns          whole turns left out (a trimmed newest turn is not counted)
   * @param newestTurnTrimmed     the newest turn alone did not fit: older units of it were left out
   * @param estimatedInputTokens  the estimate of {@code messages} with the tool schemas
   * @param overflows             even what is sent, plus the reserved reply, exceeds the window
   */
  public record Fit(List<ChatMessage> messages, int droppedMessages, int droppedTurns, boolean newestTurnTrimmed,
                    long estimatedInputTokens, boolean overflows) {

    /** Whether anything of the conversation was left out. */
    public boolean truncated() {
      return droppedMessages > 0;
    }
  }

  /** The part of {@code conversation} to send with {@code tools} (null: none). */
  public Fit fit(List<ChatMessage> conversation, List<ToolSchema> tools) {
    int size = conversation.size();
    int systemCount = 0;
    while (systemCount < size && "system".equals(conversation.get(systemCount).role())) {
      systemCount++;
    }
    Units units = Units.of(conversation, systemCount, estimator);
    long chars = estimator.charsOf(conversation.subList(0, systemCount)) + estimator.charsOfTools(tools);

    int turns = units.turnCount();
    int firstTurnSent = turns;
    for (int turn = turns - 1; turn >= 0 && fits(chars + units.turnChars(turn)); turn--) {
      chars += units.turnChars(turn);
      firstTurnSent = turn;
    }
    int firstUnitSent = firstTurnSent < turns ? units.firstUnitOfTurn(firstTurnSent) : units.count();
    int keptUserUnit = -1; // the newest user message, sent apart from the units when its turn is trimmed
    if (turns > 0 && firstTurnSent == turns) {
      keptUserUnit = units.firstUnitOfTurn(turns - 1);
      chars += units.chars(keptUserUnit);
      for (int u = units.count() - 1; u > keptUserUnit && fits(chars + units.chars(u)); u--) {
        chars += units.chars(u);
        firstUnitSent = u;
      }
    }
    boolean trimmed = keptUserUnit >= 0 && firstUnitSent > keptUserUnit + 1;

    List<ChatMessage> sent = new ArrayList<>(conversation.subList(0, systemCount));
    for (int i = systemCount; i < size; i++) {
      int unit = units.unitOf(i);
      if (unit >= 0 && (unit >= firstUnitSent || unit == keptUserUnit)) {
        sent.add(conversation.get(i));
      }
    }
    int dropped = size - sent.size();
    int droppedTurns = keptUserUnit >= 0 ? turns - 1 : firstTurnSent;
    long tokens = estimator.tokensFor(chars);
    return new Fit(dropped == 0 ? List.copyOf(conversation) : List.copyOf(sent), dropped, droppedTurns, trimmed,
        tokens, tokens + reservedOutputTokens > windowTokens);
  }

  private boolean fits(long chars) {
    return estimator.tokensFor(chars) + reservedOutputTokens <= windowTokens;
  }

  /**
   * The conversation after its leading system messages, cut into units (numbered in order of
   * their first message) and turns (each a run of units starting at a user message's unit).
   * Messages that are never sent (before the first user message, or tool results whose call is
   * not found) belong to no unit.
   */
  private static final class Units {
    private final int[] unitOfMessage;
    private final long[] unitChars;
    private final int[] turnStarts; // the first unit of each turn, then the unit count
    private final long[] turnChars;
    private int count;
    private int turnCount;

    private Units(int size) {
      unitOfMessage = new int[size];
      unitChars = new long[size];
      turnStarts = new int[size + 1];
      turnChars = new long[size];
    }

    static Units of(List<ChatMessage> conversation, int from, TokenEstimator estimator) {
      Units units = new Units(conversation.size());
      Map<String, Integer> unitOfCall = new HashMap<>();
      for (int i = 0; i < from; i++) {
        units.unitOfMessage[i] = -1;
      }
      for (int i = from; i < conversation.size(); i++) {
        ChatMessage m = conversation.get(i);
        int unit;
        if ("tool".equals(m.role())) {
          Integer caller = m.toolCallId() == null ? null : unitOfCall.get(m.toolCallId());
          unit = caller == null ? -1 : caller;
        } else {
          unit = units.count++;
          if ("user".equals(m.role())) {
            units.turnStarts[units.turnCount++] = unit;
          }
          for (ToolCall call : m.toolCalls()) {
            if (call.id() != null) {
              unitOfCall.put(call.id(), unit); // a reused id answers its latest call
            }
          }
        }
        boolean beforeFirstUser = units.turnCount == 0 || unit < units.turnStarts[0];
        units.unitOfMessage[i] = beforeFirstUser ? -1 : unit;
        if (units.unitOfMessage[i] >= 0) {
          units.unitChars[unit] += estimator.charsOf(m);
        }
      }
      units.turnStarts[units.turnCount] = units.count;
      for (int t = 0; t < units.turnCount; t++) {
        for (int u = units.turnStarts[t]; u < units.turnStarts[t + 1]; u++) {
          units.turnChars[t] += units.unitChars[u];
        }
      }
      return units;
    }

    int count() {
      return count;
    }

    int turnCount() {
      return turnCount;
    }

    int unitOf(int message) {
      return unitOfMessage[message];
    }

    long chars(int unit) {
      return unitChars[unit];
    }

    int firstUnitOfTurn(int turn) {
      return turnStarts[turn];
    }

    long turnChars(int turn) {
      return turnChars[turn];
    }
  }
}
