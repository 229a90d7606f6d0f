package io.troupe.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The factory reading troupe.llm, and the small pieces of HTTP plumbing the providers share. */
class LlmProvidersTest {

  @Test
  void theShippedConfigBuildsBothProviders() {
    Config llm = ConfigFactory.defaultReference().getConfig("troupe.llm");
    Map<String, LlmProvider> providers = LlmProviders.from(LlmSettings.from(ConfigFactory.defaultReference()));
    assertEquals(2, providers.size());
    assertInstanceOf(OpenAiChatProvider.class, providers.get("openai"));
    assertInstanceOf(AnthropicMessagesProvider.class, providers.get("anthropic"));
    assertEquals(4, llm.getInt("max-attempts"));
  }

  @Test
  void settingsComeFromConfigAndNeverShowTheKey() {
    Config llm = ConfigFactory.parseString("""
        openai { base-url = "http://localhost:11434/v1/", api-key = "sk-very-secret" }
        anthropic { base-url = "https://api.anthropic.com", api-key = "", max-tokens = 2048 }
        max-attempts = 3, initial-backoff = 100ms, max-backoff = 2s
        """);
    ProviderSettings openai = ProviderSettings.fromConfig(llm.getConfig("openai"), llm);
    assertEquals("http://localhost:11434/v1", openai.baseUrl());
    assertEquals(3, openai.maxAttempts());
    assertEquals(Duration.ofMillis(100), openai.initialBackoff());
    assertEquals(Duration.ofSeconds(2), openai.maxBackoff());
    assertFalse(openai.toString().contains("sk-very-secret"), openai.toString());
    Map<String, LlmProvider> providers = LlmProviders.from(LlmSettings.from(llm.atPath("troupe.llm")));
    assertFalse(providers.toString().contains("sk-very-secret"));
    assertTrue(providers.get("anthropic").toString().contains("maxTokens=2048"));
  }

  @Test
  void retryAfterIsReadAsSecondsMillisecondsOrAnHttpDate() {
    Instant now = Instant.parse("2025-01-01T12:00:00Z");
    assertEquals(Optional.of(Duration.ofSeconds(7)), ProviderHttp.retryAfter(headers("retry-after", "7"), now));
    assertEquals(Optional.of(Duration.ofMillis(1500)), ProviderHttp.retryAfter(headers("retry-after", "1.5"), now));
    assertEquals(Optional.of(Duration.ofMillis(250)),
        ProviderHttp.retryAfter(headers("retry-after-ms", "250", "retry-after", "1"), now));
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(30).atOffset(ZoneOffset.UTC));
    assertEquals(Optional.of(Duration.ofSeconds(30)), ProviderHttp.retryAfter(headers("retry-after", date), now));
    assertEquals(Optional.of(Duration.ZERO),
        ProviderHttp.retryAfter(headers("retry-after", "Wed, 01 Jan 2020 00:00:00 GMT"), now));
    assertEquals(Optional.empty(), ProviderHttp.retryAfter(headers("retry-after", "soon"), now));
    assertEquals(Optional.empty(), ProviderHttp.retryAfter(headers(), now));
  }

  @Test
  void errorMessagesComeFromTheProvidersJson() {
    assertEquals("invalid_request_error: bad model",
        ProviderHttp.errorMessage("{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad model\"}}"));
    assertEquals("model not found", ProviderHttp.errorMessage("{\"error\":\"model not found\"}"));
    assertEquals("<html>502</html>", ProviderHttp.errorMessage("<html>502</html>"));
    assertEquals("(empty body)", ProviderHttp.errorMessage(""));
    assertTrue(ProviderHttp.errorMessage("x".repeat(1000)).length() < 400);
  }

  @Test
  void backoffGrowsWithJitterAndStaysUnderTheCap() {
    ProviderHttp http = new ProviderHttp("test", new ProviderSettings("http://127.0.0.1:1", "",
        4, Duration.ofMillis(100), Duration.ofMillis(1000)), null);
    for (int i = 0; i < 50; i++) {
      long first = http.backoff(1).toMillis();
      long third = http.backoff(3).toMillis();
      long tenth = http.backoff(10).toMillis();
      assertTrue(first >= 50 && first <= 100, "first " + first);
      assertTrue(third >= 200 && third <= 400, "third " + third);
      assertTrue(tenth >= 500 && tenth <= 1000, "tenth " + tenth);
    }
  }

  private static HttpHeaders headers(String... pairs) {
    Map<String, List<String>> map = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], List.of(pairs[i + 1]));
    }
    return HttpHeaders.of(map, (name, value) -> true);
  }
}
