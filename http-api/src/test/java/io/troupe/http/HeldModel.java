package io.troupe.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in OpenAI-compatible Chat Completions endpoint on loopback that holds every request
 * until the test releases one (or all), then streams the answer "Slow answer." — so a session of
 * an agent on it stays RUNNING, deterministically, for as long as the test needs.
 */
final class HeldModel implements AutoCloseable {

  static final String ANSWER = "Slow answer.";

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "held-model");
    t.setDaemon(true);
    return t;
  });
  private final Semaphore arrived = new Semaphore(0);
  private final Semaphore releases = new Semaphore(0);
  private final CountDownLatch closing = new CountDownLatch(1);

  HeldModel() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/chat/completions", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** The base URL to configure as {@code troupe.llm.openai.base-url}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** Waits (bounded) until a model request has arrived and is being held. */
  void awaitRequest() throws InterruptedException {
    if (!arrived.tryAcquire(30, TimeUnit.SECONDS)) {
      throw new AssertionError("no model request arrived within 30 s");
    }
  }

  /** Whether a(nother) model request arrives within {@code wait}; one that does counts as awaited. */
  boolean requestArrivesWithin(java.time.Duration wait) throws InterruptedException {
    return arrived.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Lets one held (or the next) request answer. */
  void releaseOne() {
    releases.release();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      arrived.release();
      boolean released;
      try {
        released = releases.tryAcquire(60, TimeUnit.SECONDS) || closing.getCount() == 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        released = false;
      }
      if (!released || closing.getCount() == 0) {
        exchange.sendResponseHeaders(503, -1);
        return;
      }
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      chunk(out, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Slow \"},\"finish_reason\":null}]}");
      chunk(out, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer.\"},\"finish_reason\":\"stop\"}]}");
      chunk(out, "{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}");
      chunk(out, "[DONE]");
    }
  }

  private static void chunk(OutputStream out, String data) throws IOException {
    out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public void close() {
    closing.countDown();
    releases.release(1000);
    server.stop(0);
    executor.shutdownNow();
  }
}
