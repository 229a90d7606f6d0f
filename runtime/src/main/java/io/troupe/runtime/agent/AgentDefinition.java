package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import java.util.List;

/**
 * What an agent is: its role and system prompt, the model it runs on, how far a session may go,
 * the tools it may call, the topics it listens to. A session copies the definition when it
 * starts, so changing an agent affects only sessions started afterwards.
 *
 * <p>{@code script} is used only by the {@code scripted} provider (tests and offline demos): the
 * exact replies it returns, in order.
 */
public record AgentDefinition(
    String role,
    String systemPrompt,
    String provider,
    String model,
    double temperature,
    int maxIterations,
    int toolTimeoutSeconds,
    List<String> tools,
    List<String> subscriptions,
    List<ScriptedReply> script) implements CborSerializable {

  public static final int DEFAULT_MAX_ITERATIONS = 8;
  public static final int DEFAULT_TOOL_TIMEOUT_SECONDS = 30;

  public AgentDefinition {
    tools = tools == null ? List.of() : List.copyOf(tools);
    subscriptions = subscriptions == null ? List.of() : List.copyOf(subscriptions);
    script = script == null ? List.of() : List.copyOf(script);
  }

  /** One scripted model reply: text, tool calls, or both. */
  public record ScriptedReply(String text, List<ScriptedToolCall> toolCalls) implements CborSerializable {
    public ScriptedReply {
      toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }
  }

  /** A scripted tool call: the tool and its arguments as JSON text. */
  public record ScriptedToolCall(String name, String argumentsJson) implements CborSerializable {}
}
