package io.troupe.runtime.llm;

import java.time.Duration;
import java.util.List;

/**
 * One call to a model: the model name, the conversation so far (the system prompt first, as a
 * message with role "system"), the tools it may call, and the sampling temperature.
 * {@code timeout} bounds the whole call including retries. {@code maxOutputTokens} caps the reply
 * (0: the provider's default); sessions set it so a call can never cost more output than the
 * budget reserved for it. {@code omittedReplies}: the model replies of the conversation left out
 * of {@code messages} to fit the context window (the scripted provider counts them, so a long
 * conversation still gets its script's next reply).
 */
public record LlmRequest(String model, List<ChatMessage> messages, List<ToolSchema> tools, double temperature,
                         Duration timeout, int maxOutputTokens, int omittedReplies) {

  public LlmRequest(String model, List<ChatMessage> messages, List<ToolSchema> tools, double temperature,
                    Duration timeout, int maxOutputTokens) {
    this(model, messages, tools, temperature, timeout, maxOutputTokens, 0);
  }

  public LlmRequest {
    messages = List.copyOf(messages);
    tools = tools == null ? List.of() : List.copyOf(tools);
    if (maxOutputTokens < 0) {
      throw new IllegalArgumentException("maxOutputTokens must not be negative, was " + maxOutputTokens);
    }
  }

  /** A request with the provider's default reply length. */
  public LlmRequest(String model, List<ChatMessage> messages, List<ToolSchema> tools, double temperature,
                    Duration timeout) {
    this(model, messages, tools, temperature, timeout, 0);
  }
}
