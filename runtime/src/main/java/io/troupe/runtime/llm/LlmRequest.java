package io.troupe.runtime.llm;

import java.time.Duration;
import java.util.List;

/**
 * One call to a model: the model name, the conversation so far (the system prompt first, as a
 * message with role "system"), the tools it may call, and the sampling temperature.
 * {@code timeout} bounds the whole call including retries.
 */
public record LlmRequest(String model, List<ChatMessage> messages, List<ToolSchema> tools, double temperature,
                         Duration timeout) {

  public LlmRequest {
    messages = List.copyOf(messages);
    tools = tools == null ? List.of() : List.copyOf(tools);
  }
}
