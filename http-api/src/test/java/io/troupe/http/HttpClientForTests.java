package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Real HTTP calls to a node on loopback, with bounded timeouts. */
public final class HttpClientForTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(15);
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  public final String base;
  /** The key sent as {@code Authorization: Bearer}; null sends none. */
  private final String key;

  /** A client that calls as the test nodes' admin. */
  public HttpClientForTests(String base) {
    this(base, io.troupe.runtime.TestNodes.ADMIN_TOKEN);
  }

  public HttpClientForTests(String base, String key) {
    this.base = base;
    this.key = key;
  }

  /** The same node, calling with another key (null: none). */
  public HttpClientForTests as(String otherKey) {
    return new HttpClientForTests(base, otherKey);
  }

  /** An answer: status, headers and body. */
  public record Answer(int status, HttpResponse<String> raw) {
    public String body() {
      return raw.body();
    }

    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(raw.body());
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + raw.body(), e);
      }
    }

    public String contentType() {
      return raw.headers().firstValue("Content-Type").orElse("");
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  public Answer get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  public Answer postJson(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Answer send(String method, String path, Map<String, String> headers, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    boolean ownKey = headers.keySet().stream()
        .anyMatch(h -> h.equalsIgnoreCase("Authorization") || h.equalsIgnoreCase("X-API-Key"));
    return send(b, !ownKey);
  }

  private Answer send(HttpRequest.Builder request) {
    return send(request, true);
  }

  private Answer send(HttpRequest.Builder request, boolean withKey) {
    if (withKey && key != null) {
      request.setHeader("Authorization", "Bearer " + key);
    }
    try {
      HttpResponse<String> r = client.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
