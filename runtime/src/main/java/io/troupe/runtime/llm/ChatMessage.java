package io.troupe.runtime.llm;

import io.troupe.runtime.CborSerializable;
import java.util.List;

/**
 * One message of a conversation, provider-neutral. {@code role} is "system", "user",
 * "assistant" or "tool". An assistant message may carry {@code toolCalls}; a tool message
 * answers one call ({@code toolCallId}, {@code toolName}) with {@code content} (the result or
 * error as text, usually JSON).
 */
public record ChatMessage(String role, String content, List<ToolCall> toolCalls, String toolCallId, String toolName)
    implements CborSerializable {

  public ChatMessage {
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content, List.of(), null, null);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content, List.of(), null, null);
  }

  public static ChatMessage assistant(String content, List<ToolCall> toolCalls) {
    return new ChatMessage("assistant", content, toolCalls, null, null);
  }

  public static ChatMessage tool(String toolCallId, String toolName, String content) {
    return new ChatMessage("tool", content, List.of(), toolCallId, toolName);
  }
}
