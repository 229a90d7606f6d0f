package io.troupe.runtime.llm;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A model provider: turns a conversation (and the tools the model may call) into the model's
 * next reply. Implementations are asynchronous and never block the caller's thread; they own
 * their timeouts and retries and fail the stage with an {@link LlmException} that names the
 * provider and, for HTTP failures, the status.
 */
public interface LlmProvider {

  /** The name agents use to pick this provider ("openai", "anthropic", "scripted"). */
  String name();

  /**
   * Asks the model for its next reply. {@code onToken} receives streamed text fragments as they
   * arrive (providers that do not stream call it at most once with the whole text, or never).
   */
  CompletionStage<LlmResponse> complete(LlmRequest request, Consumer<String> onToken);
}
