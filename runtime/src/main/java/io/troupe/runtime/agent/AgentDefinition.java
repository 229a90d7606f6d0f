package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import java.util.List;

/**
 * What an agent is: its role and system prompt, the model it runs on, how far a session may go,
 * the tools it may call, the topics it listens to. A session copies the definition when it
 * starts, so changing an agent affects only sessions started afterwards.
 *
 * <p>A {@code conversational} agent's session does not end with its answer: it waits for the
 * next message (WAITING_FOR_INPUT) until it is closed or idle too long. The tools named in
 * {@code approvalRequired} (or every tool, {@value #ANY_TOOL}) run only once a person approved
 * the call; a call nobody decides within {@code approvalTimeoutSeconds} (0: the default, an hour)
 * is rejected. {@code contextWindowTokens} bounds what one model request may carry (0: the
 * model's window from the pricing table, else 128k); older turns are dropped to fit. Definitions
 * stored before these fields existed read as false, none and 0: nothing changes for them.
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
    List<ScriptedReply> script,
    boolean conversational,
    List<String> approvalRequired,
    int approvalTimeoutSeconds,
    int contextWindowTokens) implements CborSerializable {

  public static final int DEFAULT_MAX_ITERATIONS = 8;
  public static final int DEFAULT_TOOL_TIMEOUT_SECONDS = 30;
  public static final int DEFAULT_APPROVAL_TIMEOUT_SECONDS = 3600;
  /** In {@code approvalRequired}: every tool call needs an approval. */
  public static final String ANY_TOOL = "*";

  public AgentDefinition {
    tools = tools == null ? List.of() : List.copyOf(tools);
    subscriptions = subscriptions == null ? List.of() : List.copyOf(subscriptions);
    script = script == null ? List.of() : List.copyOf(script);
    approvalRequired = approvalRequired == null ? List.of() : List.copyOf(approvalRequired);
  }

  /** A one-shot agent that needs no approvals, with the model's own context window. */
  public AgentDefinition(String role, String systemPrompt, String provider, String model, double temperature,
                         int maxIterations, int toolTimeoutSeconds, List<String> tools, List<String> subscriptions,
                         List<ScriptedReply> script) {
    this(role, systemPrompt, provider, model, temperature, maxIterations, toolTimeoutSeconds, tools, subscriptions,
        script, false, List.of(), 0, 0);
  }

  /** Whether a call of {@code tool} waits for a person's approval. */
  public boolean needsApproval(String tool) {
    return approvalRequired.contains(ANY_TOOL) || approvalRequired.contains(tool);
  }

  /** How long a call waits for its approval before it is rejected (reason timeout). */
  public java.time.Duration approvalTimeout() {
    return java.time.Duration.ofSeconds(approvalTimeoutSeconds > 0 ? approvalTimeoutSeconds
        : DEFAULT_APPROVAL_TIMEOUT_SECONDS);
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
