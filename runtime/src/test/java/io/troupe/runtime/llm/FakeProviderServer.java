package io.troupe.runtime.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) that answers with scripted replies, one per
 * request in order, and records every request: method, path, headers, JSON body.
 */
final class FakeProviderServer implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();

  /** Writes one answer. */
  interface Reply {
    void write(HttpExchange exchange, FakeProviderServer server) throws Exception;
  }

  record Recorded(String method, String path, Headers headers, JsonNode body) {
    String header(String name) {
      return headers.getFirst(name);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final Queue<Reply> replies = new ConcurrentLinkedQueue<>();
  private final CountDownLatch closing = new CountDownLatch(1);

  private FakeProviderServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static FakeProviderServer start() throws IOException {
    return new FakeProviderServer();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  FakeProviderServer then(Reply... next) {
    replies.addAll(List.of(next));
    return this;
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  /** Blocks a handler thread until the server closes (a server that never answers). */
  void awaitClose() throws InterruptedException {
    closing.await(60, TimeUnit.SECONDS);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      requests.add(new Recorded(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
          exchange.getRequestHeaders(), body.length == 0 ? null : JSON.readTree(body)));
      Reply reply = replies.poll();
      if (reply == null) {
        reply = json(599, "{\"error\":{\"message\":\"no reply scripted\"}}");
      }
      reply.write(exchange, this);
    } catch (Exception e) {
      // The client went away or the reply broke the connection on purpose.
    }
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  static Reply json(int status, String body, String... headerPairs) {
    return (exchange, server) -> {
      for (int i = 0; i < headerPairs.length; i += 2) {
        exchange.getResponseHeaders().add(headerPairs[i], headerPairs[i + 1]);
      }
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
    };
  }

  /** A 200 event stream, written piece by piece (each flushed on its own). */
  static Reply sse(String... pieces) {
    return (exchange, server) -> {
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      for (String piece : pieces) {
        out.write(piece.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    };
  }

  /** A 200 event stream that sends {@code pieces}, waits for {@code gate} (up to 5 s), then sends {@code rest}. */
  static Reply sseGated(List<String> pieces, CountDownLatch gate, List<String> rest, boolean[] gateOpened) {
    return (exchange, server) -> {
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      for (String piece : pieces) {
        out.write(piece.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      gateOpened[0] = gate.await(5, TimeUnit.SECONDS);
      for (String piece : rest) {
        out.write(piece.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    };
  }

  /** A stream that sends {@code pieces} and then nothing more, never ending. */
  static Reply sseThenStall(String... pieces) {
    return (exchange, server) -> {
      sse(pieces).write(exchange, server);
      server.awaitClose();
    };
  }

  /** Announces a longer body than it sends, then drops the connection. */
  static Reply truncated(String partial) {
    return (exchange, server) -> {
      exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
      byte[] bytes = partial.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, bytes.length + 10_000);
      exchange.getResponseBody().write(bytes);
      exchange.getResponseBody().flush();
    };
  }

  /** Reads the request and never answers. */
  static Reply silence() {
    return (exchange, server) -> server.awaitClose();
  }
}
