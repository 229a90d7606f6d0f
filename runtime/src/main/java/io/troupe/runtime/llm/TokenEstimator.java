package io.troupe.runtime.llm;

import java.util.List;

/**
 * The one estimate of a model call's input tokens, shared by budgets (what a call may cost) and
 * context windows (what fits): the characters sent, divided by {@code charsPerToken} and rounded
 * up. The characters sent are each message's content and its tool calls' names and arguments,
 * and each offered tool's name, description and parameter schema.
 *
 * <p>Rounding happens once, over the whole request. {@link #messageTokens} rounds one message on
 * its own, so a sum of those can exceed the request's estimate by up to one token a message;
 * code that must agree with the budget exactly adds {@link #charsOf characters} and converts once.
 */
public record TokenEstimator(int charsPerToken) {

  public TokenEstimator {
    if (charsPerToken <= 0) {
      throw new IllegalArgumentException("charsPerToken must be positive, was " + charsPerToken);
    }
  }

  /** Input tokens of a whole request: its messages and its tool schemas. */
  public long estimateInputTokens(List<ChatMessage> messages, List<ToolSchema> tools) {
    return tokensFor(charsOf(messages) + charsOfTools(tools));
  }

  public long estimateInputTokens(LlmRequest request) {
    return estimateInputTokens(request.messages(), request.tools());
  }

  /** One message's tokens, rounded up on its own. */
  public long messageTokens(ChatMessage message) {
    return tokensFor(charsOf(message));
  }

  /** Tokens for this many characters (rounded up). */
  public long tokensFor(long chars) {
    return (chars + charsPerToken - 1) / charsPerToken;
  }

  /** Characters a message sends: its content and its tool calls' names and arguments. */
  public long charsOf(ChatMessage message) {
    long chars = message.content() == null ? 0 : message.content().length();
    for (ToolCall c : message.toolCalls()) {
      chars += c.name().length() + (c.argumentsJson() == null ? 0 : c.argumentsJson().length());
    }
    return chars;
  }

  public long charsOf(List<ChatMessage> messages) {
    long chars = 0;
    for (ChatMessage m : messages) {
      chars += charsOf(m);
    }
    return chars;
  }

  /** Characters the offered tools send: names, descriptions and parameter schemas (none when null). */
  public long charsOfTools(List<ToolSchema> tools) {
    long chars = 0;
    if (tools == null) {
      return 0;
    }
    for (ToolSchema tool : tools) {
      chars += tool.name().length() + (tool.description() == null ? 0 : tool.description().length())
          + (tool.parametersJsonSchema() == null ? 0 : tool.parametersJsonSchema().length());
    }
    return chars;
  }
}
