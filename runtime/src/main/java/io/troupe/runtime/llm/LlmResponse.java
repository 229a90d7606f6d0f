package io.troupe.runtime.llm;

import io.troupe.runtime.CborSerializable;
import java.util.List;

/**
 * A model's reply: text (may be empty), tool calls (may be empty), token usage, and the
 * provider's stop reason ("stop", "tool_calls", "end_turn", "tool_use", "length", ...).
 */
public record LlmResponse(String text, List<ToolCall> toolCalls, Usage usage, String stopReason)
    implements CborSerializable {

  public LlmResponse {
    text = text == null ? "" : text;
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    usage = usage == null ? Usage.NONE : usage;
  }
}
