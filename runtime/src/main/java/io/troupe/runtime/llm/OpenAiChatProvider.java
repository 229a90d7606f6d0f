package io.troupe.runtime.llm;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A client of the OpenAI Chat Completions API, and of every server that speaks it (vLLM,
 * Ollama, llama.cpp server): streams text to the caller, reassembles streamed tool calls, reads
 * token usage from the last chunk. Without an API key no Authorization header is sent.
 */
public final class OpenAiChatProvider implements LlmProvider {

  public static final String NAME = "openai";
  public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";

  private final ProviderSettings settings;
  private final ProviderHttp http;
  private final URI endpoint;

  public OpenAiChatProvider(ProviderSettings settings) {
    this(settings, ProviderHttp.defaultClient(settings));
  }

  public OpenAiChatProvider(ProviderSettings settings, HttpClient client) {
    this.settings = settings;
    this.http = new ProviderHttp(NAME, settings, client);
    this.endpoint = URI.create(settings.baseUrl() + "/chat/completions");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CompletionStage<LlmResponse> complete(LlmRequest request, Consumer<String> onToken) {
    byte[] body;
    try {
      body = SseLines.JSON.writeValueAsBytes(OpenAiWire.requestBody(request));
    } catch (Exception e) {
      return CompletableFuture.failedFuture(
          new LlmException(NAME, 0, "cannot build the request: " + LineBodySubscriber.describe(e), e));
    }
    Consumer<String> sink = onToken == null ? fragment -> { } : onToken;
    Map<String, String> headers = new LinkedHashMap<>();
    if (settings.hasApiKey()) {
      headers.put("Authorization", "Bearer " + settings.apiKey());
    }
    headers.put("Content-Type", "application/json");
    headers.put("Accept", "text/event-stream, application/json");
    return http.post(endpoint, headers, body, request.timeout(), () -> new OpenAiWire.Answer(NAME, sink));
  }

  @Override
  public String toString() {
    return "OpenAiChatProvider[" + settings + "]";
  }
}
