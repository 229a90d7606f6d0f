package io.troupe.runtime.llm;

import java.util.Map;

/** Builds the real model clients from their settings (troupe.llm). */
public final class LlmProviders {

  private LlmProviders() {}

  /** The OpenAI-compatible and Anthropic clients, by {@link LlmProvider#name()}. */
  public static Map<String, LlmProvider> from(LlmSettings settings) {
    LlmProvider openai = new OpenAiChatProvider(settings.openai());
    LlmProvider anthropic = new AnthropicMessagesProvider(settings.anthropic(), settings.anthropicMaxTokens());
    return Map.of(openai.name(), openai, anthropic.name(), anthropic);
  }
}
