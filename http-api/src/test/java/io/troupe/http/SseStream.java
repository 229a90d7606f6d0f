package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An open SSE response read with {@code BodyHandlers.ofLines()}: a reader thread parses the lines
 * into events; {@link #next} waits a bounded time for the next one. Closing closes the body, which
 * ends the reader and cancels the stream on the node.
 */
final class SseStream implements AutoCloseable {

  /** One server-sent event; {@code id} is the message offset. */
  record Event(String id, String type, String data) {
    long offset() {
      return Long.parseLong(id);
    }

    JsonNode json() {
      try {
        return Json.MAPPER.readTree(data);
      } catch (IOException e) {
        throw new AssertionError("SSE data is not JSON: " + data, e);
      }
    }
  }

  private static final Object END = new Object();
  private static final Duration CONNECT = Duration.ofSeconds(30);

  final HttpResponse<Stream<String>> response;
  private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
  private final Thread reader;
  private volatile Throwable endCause;

  private SseStream(HttpResponse<Stream<String>> response) {
    this.response = response;
    this.reader = new Thread(this::read, "sse-reader");
    this.reader.setDaemon(true);
    this.reader.start();
  }

  static SseStream open(String base, String pathAndQuery, Map<String, String> headers) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
        .header("Accept", "text/event-stream").timeout(CONNECT).GET();
    if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Authorization"))) {
      request.header("Authorization", "Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN);
    }
    headers.forEach(request::header);
    try {
      HttpResponse<Stream<String>> response = client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
          .get(CONNECT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(200, response.statusCode(), "SSE status");
      String contentType = response.headers().firstValue("Content-Type").orElse("");
      if (!contentType.startsWith("text/event-stream")) {
        response.body().close();
        fail("SSE Content-Type was " + contentType);
      }
      return new SseStream(response);
    } catch (Exception e) {
      throw new AssertionError("could not open SSE stream " + pathAndQuery, e);
    }
  }

  /** The next event, failing if none arrives within {@code timeout} or the stream ends. */
  Event next(Duration timeout) {
    Object item;
    try {
      item = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    if (item == null) {
      throw new AssertionError("no SSE event within " + timeout);
    }
    if (item == END) {
      received.add(END);
      throw new AssertionError("SSE stream ended", endCause);
    }
    return (Event) item;
  }

  /** The next event if one is already waiting or arrives within {@code timeout}, else null. */
  Event poll(Duration timeout) {
    try {
      Object item = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (item == END) {
        received.add(END);
        throw new AssertionError("SSE stream ended", endCause);
      }
      return (Event) item;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private void read() {
    String id = null;
    String type = null;
    StringBuilder data = null;
    try (Stream<String> lines = response.body()) {
      var it = lines.iterator();
      while (it.hasNext()) {
        String line = it.next();
        if (line.isEmpty()) {
          if (data != null) {
            received.add(new Event(id, type, data.toString()));
          }
          id = null;
          type = null;
          data = null;
          continue;
        }
        if (line.startsWith(":")) {
          continue; // comment: a keep-alive
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
          value = value.substring(1);
        }
        switch (field) {
          case "id" -> id = value;
          case "event" -> type = value;
          case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
          default -> { }
        }
      }
    } catch (RuntimeException e) {
      endCause = e;
    } finally {
      received.add(END);
    }
  }

  @Override
  public void close() {
    // Closing the line stream closes the body from this thread, which wakes the blocked reader
    // (interrupting it would not: the client's body stream retries an interrupted wait).
    response.body().close();
    try {
      reader.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (reader.isAlive()) {
      throw new AssertionError("SSE reader did not stop within 10 s of close");
    }
  }
}
