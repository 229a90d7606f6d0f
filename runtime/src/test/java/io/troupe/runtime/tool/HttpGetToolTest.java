package io.troupe.runtime.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** http_get against a real local HTTP server on 127.0.0.1. */
class HttpGetToolTest {

  private static final int MAX_BODY_BYTES = 1024;
  private static final AtomicInteger REQUESTS = new AtomicInteger();
  private static final CountDownLatch RELEASE_SLOW = new CountDownLatch(1);
  private static HttpServer server;
  private static String base;
  private static ToolRegistry registry;

  @BeforeAll
  static void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/hello", ex -> respond(ex, 200, "text/plain; charset=utf-8", "héllo"));
    server.createContext("/json", ex -> respond(ex, 201, "application/json", "{\"a\":1}"));
    server.createContext("/big", ex -> respond(ex, 200, "text/plain", "y".repeat(200_000)));
    server.createContext("/image", ex -> respond(ex, 200, "image/png", "\u0089PNG"));
    server.createContext("/moved", ex -> {
      ex.getResponseHeaders().add("Location", "http://elsewhere.example/next");
      respond(ex, 302, "text/plain", "moved");
    });
    server.createContext("/slow", ex -> {
      REQUESTS.incrementAndGet();
      try {
        RELEASE_SLOW.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.close();
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
    registry = new ToolRegistry().register(new HttpGetTool(Set.of("127.0.0.1"), MAX_BODY_BYTES));
  }

  @AfterAll
  static void stop() {
    RELEASE_SLOW.countDown();
    server.stop(0);
  }

  @BeforeEach
  void resetCount() {
    REQUESTS.set(0);
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    REQUESTS.incrementAndGet();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", contentType);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static ToolOutcome get(String url, Duration timeout) throws Exception {
    ToolContext ctx = new ToolContext("s", "scout", "c", timeout);
    return registry.invoke("http_get", "{\"url\":\"" + url + "\"}", ctx).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static JsonNode ok(String url) throws Exception {
    ToolOutcome outcome = get(url, Duration.ofSeconds(10));
    assertTrue(outcome.ok(), () -> "expected success: " + outcome);
    return ToolJson.parse(outcome.result());
  }

  private static void refused(String url, String fragment) throws Exception {
    ToolOutcome outcome = get(url, Duration.ofSeconds(10));
    assertFalse(outcome.ok(), () -> url + " should be refused");
    assertTrue(outcome.error().contains(fragment), () -> "expected '" + fragment + "' in: " + outcome.error());
  }

  @Test
  void fetchesFromAnAllowedHost() throws Exception {
    JsonNode result = ok(base + "/hello");
    assertEquals(200, result.get("status").asInt());
    assertEquals("text/plain; charset=utf-8", result.get("contentType").asText());
    assertEquals("héllo", result.get("body").asText());
    assertFalse(result.get("truncated").asBoolean());

    JsonNode json = ok(base + "/json");
    assertEquals(201, json.get("status").asInt());
    assertEquals("{\"a\":1}", json.get("body").asText());
  }

  @Test
  void hostMatchIgnoresCaseAndPort() throws Exception {
    HttpGetTool tool = new HttpGetTool(Set.of("Example.ORG"), MAX_BODY_BYTES);
    assertEquals(8443, tool.allowed("https://EXAMPLE.org:8443/x").getPort());
    assertEquals("EXAMPLE.org", tool.allowed("HTTP://EXAMPLE.org/x").getHost());
  }

  @Test
  void longBodiesAreCutWithANote() throws Exception {
    JsonNode result = ok(base + "/big");
    assertTrue(result.get("truncated").asBoolean());
    String body = result.get("body").asText();
    assertTrue(body.startsWith("y".repeat(MAX_BODY_BYTES) + "\n[truncated:"), body.substring(0, 40));
    assertFalse(body.startsWith("y".repeat(MAX_BODY_BYTES + 1)));
  }

  @Test
  void binaryBodiesAreNotShown() throws Exception {
    JsonNode result = ok(base + "/image");
    assertTrue(result.get("body").isNull());
    assertTrue(result.get("note").asText().contains("image/png"));
  }

  @Test
  void redirectsAreReturnedNotFollowed() throws Exception {
    JsonNode result = ok(base + "/moved");
    assertEquals(302, result.get("status").asInt());
    assertEquals("http://elsewhere.example/next", result.get("location").asText());
    assertEquals(1, REQUESTS.get());
  }

  @Test
  void otherHostsAndSchemesAreRefusedWithoutARequest() throws Exception {
    int port = server.getAddress().getPort();
    refused("http://localhost:" + port + "/hello", "host localhost is not allowed; allowed hosts: 127.0.0.1");
    refused("http://127.0.0.1.nip.io:" + port + "/hello", "is not allowed");
    refused("http://evil.example@localhost:" + port + "/hello", "host localhost is not allowed");
    refused("file:///etc/passwd", "only http and https URLs");
    refused("ftp://127.0.0.1/x", "only http and https URLs");
    refused("http://exa mple/", "not a valid URL");
    refused("/relative/path", "only http and https URLs");
    assertEquals(0, REQUESTS.get());
  }

  @Test
  void aServerThatNeverAnswersHitsTheTimeout() throws Exception {
    long start = System.nanoTime();
    ToolOutcome outcome = get(base + "/slow", Duration.ofMillis(500));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertFalse(outcome.ok());
    assertTrue(outcome.error().contains("within 500 ms"), outcome.error());
    assertTrue(elapsedMillis < 5000, "took " + elapsedMillis + " ms");
  }

  @Test
  void aClosedPortIsAReadableError() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      closedPort = socket.getLocalPort();
    }
    refused("http://127.0.0.1:" + closedPort + "/", "could not connect to 127.0.0.1:" + closedPort);
  }
}
