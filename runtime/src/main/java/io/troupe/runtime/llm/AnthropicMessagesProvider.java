package io.troupe.runtime.llm;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A client of the Anthropic Messages API: streams text to the caller, reassembles streamed
 * {@code tool_use} input, reads token usage from message_start and message_delta.
 */
public final class AnthropicMessagesProvider implements LlmProvider {

  public static final String NAME = "anthropic";
  public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";
  public static final String API_VERSION = "2023-06-01";
  public static final int DEFAULT_MAX_TOKENS = 4096;

  private final ProviderSettings settings;
  private final int maxTokens;
  private final ProviderHttp http;
  private final URI endpoint;

  public AnthropicMessagesProvider(ProviderSettings settings, int maxTokens) {
    this(settings, maxTokens, ProviderHttp.defaultClient(settings));
  }

  public AnthropicMessagesProvider(ProviderSettings settings, int maxTokens, HttpClient client) {
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be positive, was " + maxTokens);
    }
    this.settings = settings;
    this.maxTokens = maxTokens;
    this.http = new ProviderHttp(NAME, settings, client);
    this.endpoint = URI.create(settings.baseUrl() + "/v1/messages");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CompletionStage<LlmResponse> complete(LlmRequest request, Consumer<String> onToken) {
    byte[] body;
    try {
      body = SseLines.JSON.writeValueAsBytes(AnthropicWire.requestBody(request,
          request.maxOutputTokens() > 0 ? Math.min(maxTokens, request.maxOutputTokens()) : maxTokens));
    } catch (Exception e) {
      return CompletableFuture.failedFuture(
          new LlmException(NAME, 0, "cannot build the request: " + LineBodySubscriber.describe(e), e));
    }
    Consumer<String> sink = onToken == null ? fragment -> { } : onToken;
    Map<String, String> headers = new LinkedHashMap<>();
    if (settings.hasApiKey()) {
      headers.put("x-api-key", settings.apiKey());
    }
    headers.put("anthropic-version", API_VERSION);
    headers.put("content-type", "application/json");
    headers.put("accept", "text/event-stream, application/json");
    return http.post(endpoint, headers, body, request.timeout(), () -> new AnthropicWire.Answer(NAME, sink));
  }

  @Override
  public String toString() {
    return "AnthropicMessagesProvider[" + settings + ", maxTokens=" + maxTokens + "]";
  }
}
