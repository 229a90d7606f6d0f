package io.troupe.runtime.tool;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;

/**
 * A capability an agent's model may call. Calls are asynchronous and must not block the caller.
 * A call is identified by {@link ToolContext#callId()}, stable across retries: a session that
 * resumes on another node after a crash calls a tool that had started again with the same id,
 * so a tool with external effects should use it as its idempotency key.
 */
public interface Tool {

  /** The name models call it by: lower_snake_case, unique in the registry. */
  String name();

  /** What it does, for the model. */
  String description();

  /** Its parameters as a JSON Schema object; arguments are validated against it before {@link #call}. */
  JsonNode parameters();

  /**
   * Runs the tool with arguments that passed validation. Completes with the result as JSON, or
   * fails with a {@link ToolException} whose message is shown to the model as the error.
   */
  CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments);
}
