package io.troupe.runtime.llm;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How to reach one model provider: its base URL, its API key (empty for local servers that want
 * none), and the retry policy of its HTTP calls. {@link #toString()} never shows the key.
 */
public record ProviderSettings(String baseUrl, String apiKey, int maxAttempts, Duration initialBackoff,
                               Duration maxBackoff) {

  public ProviderSettings {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException("baseUrl is required");
    }
    baseUrl = baseUrl.strip();
    while (baseUrl.endsWith("/")) {
      baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
    }
    apiKey = apiKey == null ? "" : apiKey.strip();
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff");
    }
  }

  /** The defaults of the runtime's reference.conf: 4 attempts, backoff from 500 ms up to 20 s. */
  public static ProviderSettings of(String baseUrl, String apiKey) {
    return new ProviderSettings(baseUrl, apiKey, 4, Duration.ofMillis(500), Duration.ofSeconds(20));
  }

  /** Reads {@code base-url} and {@code api-key} from {@code provider}, the retry policy from {@code llm}. */
  public static ProviderSettings fromConfig(Config provider, Config llm) {
    return new ProviderSettings(provider.getString("base-url"), provider.getString("api-key"),
        llm.getInt("max-attempts"), llm.getDuration("initial-backoff"), llm.getDuration("max-backoff"));
  }

  public boolean hasApiKey() {
    return !apiKey.isEmpty();
  }

  @Override
  public String toString() {
    return "ProviderSettings[baseUrl=" + baseUrl + ", apiKey=" + (hasApiKey() ? "<set>" : "<none>")
        + ", maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff + "]";
  }
}
