package io.troupe.runtime.llm;

import com.typesafe.config.Config;
import java.util.Map;

/** Builds the real model clients from the {@code troupe.llm} configuration block. */
public final class LlmProviders {

  private LlmProviders() {}

  /** The OpenAI-compatible and Anthropic clients, by {@link LlmProvider#name()}. */
  public static Map<String, LlmProvider> fromConfig(Config troupeLlmConfig) {
    LlmProvider openai = new OpenAiChatProvider(
        ProviderSettings.fromConfig(troupeLlmConfig.getConfig("openai"), troupeLlmConfig));
    Config anthropicConfig = troupeLlmConfig.getConfig("anthropic");
    LlmProvider anthropic = new AnthropicMessagesProvider(
        ProviderSettings.fromConfig(anthropicConfig, troupeLlmConfig), anthropicConfig.getInt("max-tokens"));
    return Map.of(openai.name(), openai, anthropic.name(), anthropic);
  }
}
