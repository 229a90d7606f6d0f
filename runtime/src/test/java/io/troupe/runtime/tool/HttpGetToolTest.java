package io.troupe.runtime.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * http_get against a real local HTTP server on 127.0.0.1, which the tool may reach only because
 * 127.0.0.0/8 and every port are explicitly allowed here (loopback and ports other than 80/443
 * are refused by default, as the refusal tests show).
 */
class HttpGetToolTest {

  private static final int MAX_BODY_BYTES = 1024;
  private static final AtomicInteger REQUESTS = new AtomicInteger();
  private static final CountDownLatch RELEASE_SLOW = new CountDownLatch(1);
  private static final AtomicReference<String> LAST_HOST = new AtomicReference<>();
  private static final String LOCAL = "127.0.0.0/8";
  private static final String ANY_PORT = "1-65535";
  private static ActorSystem system;
  private static HttpServer server;
  private static String base;
  private static ToolRegistry registry;

  @BeforeAll
  static void start() throws IOException {
    system = ActorSystem.create("http-get-test",
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/hello", ex -> respond(ex, 200, "text/plain; charset=utf-8", "héllo"));
    server.createContext("/host", ex -> {
      LAST_HOST.set(ex.getRequestHeaders().getFirst("Host"));
      respond(ex, 200, "text/plain", "ok");
    });
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
    registry = new ToolRegistry().register(tool("127.0.0.1", LOCAL, ANY_PORT));
  }

  @AfterAll
  static void stop() {
    RELEASE_SLOW.countDown();
    server.stop(0);
    system.terminate();
  }

  /** A tool with these troupe.tools.http-get settings (null: not set, the default). */
  private static HttpGetTool tool(String hosts, String addresses, String ports) {
    return new HttpGetTool(system, settings(hosts, addresses, ports));
  }

  private static ToolSettings settings(String hosts, String addresses, String ports) {
    Map<String, Object> block = new java.util.HashMap<>(Map.of("http-get.allowed-hosts", hosts,
        "http-get.max-body-bytes", MAX_BODY_BYTES));
    if (addresses != null) {
      block.put("http-get.allowed-addresses", addresses);
    }
    if (ports != null) {
      block.put("http-get.allowed-ports", ports);
    }
    return ToolSettings.fromToolsBlock(ConfigFactory.parseMap(block));
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
    return get(registry, url, timeout);
  }

  private static ToolOutcome get(ToolRegistry registry, String url, Duration timeout) throws Exception {
    ToolContext ctx = new ToolContext("s", "scout", "c", timeout);
    return registry.invoke("http_get", "{\"url\":\"" + url + "\"}", ctx).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static JsonNode ok(String url) throws Exception {
    ToolOutcome outcome = get(url, Duration.ofSeconds(10));
    assertTrue(outcome.ok(), () -> "expected success: " + outcome);
    return ToolJson.parse(outcome.result());
  }

  private static void refused(String url, String fragment) throws Exception {
    refused(registry, url, fragment);
  }

  private static void refused(ToolRegistry registry, String url, String fragment) throws Exception {
    ToolOutcome outcome = get(registry, url, Duration.ofSeconds(10));
    assertFalse(outcome.ok(), () -> url + " should be refused");
    assertTrue(outcome.error().contains(fragment), () -> "expected '" + fragment + "' in: " + outcome.error());
  }

  @Test
  void fetchesFromAnAllowedHost() throws Exception {
    JsonNode result = ok(base + "/hello");
    assertEquals(200, result.get("status").asInt());
    assertEquals("text/plain; charset=UTF-8", result.get("contentType").asText());
    assertEquals("héllo", result.get("body").asText());
    assertFalse(result.get("truncated").asBoolean());

    JsonNode json = ok(base + "/json");
    assertEquals(201, json.get("status").asInt());
    assertEquals("{\"a\":1}", json.get("body").asText());
  }

  @Test
  void hostMatchIgnoresCase() throws Exception {
    HttpGetTool tool = tool("Example.ORG", null, "443, 8443");
    assertEquals(8443, tool.allowed("https://EXAMPLE.org:8443/x").getPort());
    assertEquals("EXAMPLE.org", tool.allowed("HTTPS://EXAMPLE.org/x").getHost());
  }

  @Test
  void onlyAllowedPortsAreFetched() throws Exception {
    int port = server.getAddress().getPort();
    ToolRegistry defaults = new ToolRegistry().register(tool("127.0.0.1", LOCAL, null));
    refused(defaults, base + "/hello", "port " + port + " is not allowed; allowed ports: 80, 443");
    HttpGetTool ranged = tool("example.org", null, "443, 8000-8999");
    assertEquals(8080, ranged.allowed("http://example.org:8080/").getPort());
    assertEquals("example.org", ranged.allowed("https://example.org/").getHost());
    refused(new ToolRegistry().register(ranged), "http://example.org/", "port 80 is not allowed");
    refused(new ToolRegistry().register(ranged), "http://example.org:9000/", "port 9000 is not allowed");
    assertEquals(0, REQUESTS.get());
  }

  @Test
  void loopbackPrivateAndLinkLocalAddressesAreRefusedUnlessAllowed() throws Exception {
    int port = server.getAddress().getPort();
    ToolRegistry guarded = new ToolRegistry().register(tool(
        "127.0.0.1, localhost, 10.1.2.3, 192.168.0.10, 172.20.0.1, 100.64.0.1, 169.254.169.254, 0.0.0.0, [::1],"
            + " [fd00::1], [fe80::1], [64:ff9b::7f00:1], [2002:7f00:1::], 224.0.0.1", null, ANY_PORT));
    refused(guarded, base + "/hello", "address 127.0.0.1 is loopback");
    refused(guarded, "http://localhost:" + port + "/hello", "is loopback");
    refused(guarded, "http://10.1.2.3/", "address 10.1.2.3 is private");
    refused(guarded, "http://192.168.0.10/", "is private");
    refused(guarded, "http://172.20.0.1/", "is private");
    refused(guarded, "http://100.64.0.1/", "is private");
    refused(guarded, "http://169.254.169.254/latest/meta-data/", "address 169.254.169.254 is link-local");
    refused(guarded, "http://0.0.0.0:" + port + "/hello", "unspecified");
    refused(guarded, "http://[::1]:" + port + "/hello", "is loopback");
    refused(guarded, "http://[fd00::1]/", "is private");
    refused(guarded, "http://[fe80::1]/", "is link-local");
    refused(guarded, "http://[64:ff9b::7f00:1]:" + port + "/hello", "loopback (as 127.0.0.1)");
    refused(guarded, "http://[2002:7f00:1::]:" + port + "/hello", "loopback (as 127.0.0.1)");
    refused(guarded, "http://224.0.0.1/", "multicast");
    assertEquals(0, REQUESTS.get());

    ToolRegistry allowedOne = new ToolRegistry().register(tool("127.0.0.1", "127.0.0.1", ANY_PORT));
    assertTrue(get(allowedOne, base + "/hello", Duration.ofSeconds(10)).ok(), "an explicitly allowed address is fetched");
  }

  @Test
  void thisNodesOwnAddressesAreRefused() throws Exception {
    AddressPolicy policy = new AddressPolicy(List.of());
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress own : Collections.list(nic.getInetAddresses())) {
        assertTrue(policy.refusal(own).isPresent(), () -> own + " of " + nic.getName() + " should be refused");
      }
    }
    assertTrue(policy.refusal(InetAddress.getByName("93.184.215.14")).isEmpty(), "a public address is fine");
    assertTrue(new AddressPolicy(List.of(io.troupe.runtime.net.Cidr.parse("10.0.0.0/8")))
        .refusal(InetAddress.getByName("10.9.9.9")).isEmpty());
  }

  @Test
  void theNameIsSentWhileTheCheckedAddressIsUsed() throws Exception {
    int port = server.getAddress().getPort();
    // localhost passes only by its 127.x address (::1 is not allowed): the connection goes to the
    // address that was checked, and the server still sees the name it was asked for.
    ToolRegistry byName = new ToolRegistry().register(tool("localhost", LOCAL, ANY_PORT));
    JsonNode result = ToolJson.parse(get(byName, "http://localhost:" + port + "/host", Duration.ofSeconds(10)).result());
    assertEquals(200, result.get("status").asInt());
    assertEquals("localhost:" + port, LAST_HOST.get());
  }

  @Test
  void anIpv6LiteralIsFetchedWhenItsAddressIsAllowed() throws Exception {
    HttpServer v6 = HttpServer.create(new InetSocketAddress("::1", 0), 0);
    v6.createContext("/host", ex -> {
      LAST_HOST.set(ex.getRequestHeaders().getFirst("Host"));
      respond(ex, 200, "text/plain", "six");
    });
    v6.start();
    try {
      int port = v6.getAddress().getPort();
      ToolRegistry allowed = new ToolRegistry().register(tool("[::1]", "::1", ANY_PORT));
      ToolOutcome outcome = get(allowed, "http://[::1]:" + port + "/host", Duration.ofSeconds(10));
      assertTrue(outcome.ok(), outcome::toString);
      assertEquals("six", ToolJson.parse(outcome.result()).get("body").asText());
      assertEquals("[::1]:" + port, LAST_HOST.get());
    } finally {
      v6.stop(0);
    }
  }

  @Test
  void addressAndPortSettingsAreChecked() {
    ToolSettings parsed = settings("a", " 10.0.0.0/8, ::1 ,", "443, 8000-8999");
    assertEquals(List.of(io.troupe.runtime.net.Cidr.parse("10.0.0.0/8"), io.troupe.runtime.net.Cidr.parse("::1")),
        parsed.httpGetAllowedAddresses());
    assertEquals(List.of(new ToolSettings.PortRange(443, 443), new ToolSettings.PortRange(8000, 8999)),
        parsed.httpGetAllowedPorts());
    assertEquals(ToolSettings.DEFAULT_PORTS, settings("a", null, "").httpGetAllowedPorts());
    assertTrue(assertThrowsConfig(() -> settings("a", "example.org", null)).contains("not an IP address or CIDR"));
    assertTrue(assertThrowsConfig(() -> settings("a", "10.0.0.0/33", null)).contains("prefix length"));
    assertTrue(assertThrowsConfig(() -> settings("a", null, "http")).contains("not a port"));
    assertTrue(assertThrowsConfig(() -> settings("a", null, "0-70000")).contains("1..65535"));
  }

  private static String assertThrowsConfig(org.junit.jupiter.api.function.Executable parse) {
    return org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, parse).getMessage();
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
    refused("http://2130706433:" + port + "/hello", "host 2130706433 is not allowed");
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
