package io.troupe.runtime.llm;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;

/**
 * The model providers' settings (troupe.llm in the runtime's reference.conf).
 *
 * @param openai             the OpenAI-compatible client's endpoint, key and retry policy
 * @param anthropic          the Anthropic client's
 * @param anthropicMaxTokens the largest answer asked of Anthropic
 */
public record LlmSettings(ProviderSettings openai, ProviderSettings anthropic, int anthropicMaxTokens) {

  public static LlmSettings from(Config config) {
    Config llm = config.getConfig("troupe.llm");
    return new LlmSettings(ProviderSettings.fromConfig(llm.getConfig("openai"), llm),
        ProviderSettings.fromConfig(llm.getConfig("anthropic"), llm),
        ConfigChecks.positiveInt(config, "troupe.llm.anthropic.max-tokens"));
  }
}
