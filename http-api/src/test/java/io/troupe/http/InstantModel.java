package io.troupe.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A stand-in OpenAI-compatible Chat Completions endpoint on loopback that streams the answer
 * "Instant answer." at once: sessions of an agent on it make real provider calls (timed, counted
 * in tokens, and cacheable at temperature 0) without any network beyond 127.0.0.1.
 */
final class InstantModel implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "instant-model");
    t.setDaemon(true);
    return t;
  });

  InstantModel() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/chat/completions", InstantModel::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** The base URL to configure as {@code troupe.llm.openai.base-url}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  private static void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      chunk(out, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Instant \"},\"finish_reason\":null}]}");
      chunk(out, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer.\"},\"finish_reason\":\"stop\"}]}");
      chunk(out, "{\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":2}}");
      chunk(out, "[DONE]");
    }
  }

  private static void chunk(OutputStream out, String data) throws IOException {
    out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
