package io.troupe.runtime.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a model's answer line by line: a Server-Sent Events stream (events dispatched at each
 * blank line, {@code data:} lines joined by newlines, comments skipped), or, when the body starts
 * with '{', one plain JSON document (servers that ignore {@code stream: true}).
 */
abstract class SseLines implements ProviderHttp.LineParser<LlmResponse> {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Logger log = LoggerFactory.getLogger(SseLines.class);

  protected final String provider;
  private final StringBuilder data = new StringBuilder();
  private String event;
  private boolean hasData;
  private boolean plainJson;
  private boolean started;

  SseLines(String provider) {
    this.provider = provider;
  }

  /** One event: its {@code event:} name (null when none was given) and its data. */
  protected abstract void onEvent(String event, String data);

  /** The stream ended; returns the reply or throws {@link LlmException} when it ended too early. */
  protected abstract LlmResponse onStreamEnd();

  /** The answer was one JSON document, not a stream. */
  protected abstract LlmResponse onJsonBody(JsonNode body);

  @Override
  public void line(String line) {
    if (!started) {
      if (line.isBlank()) {
        return;
      }
      started = true;
      plainJson = line.stripLeading().startsWith("{");
    }
    if (plainJson) {
      data.append(line).append('\n');
    } else if (line.isEmpty()) {
      dispatch();
    } else if (!line.startsWith(":")) {
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      if (field.equals("event")) {
        event = value;
      } else if (field.equals("data")) {
        if (hasData) {
          data.append('\n');
        }
        data.append(value);
        hasData = true;
      }
    }
  }

  @Override
  public LlmResponse finish() {
    if (plainJson) {
      return onJsonBody(parse(data.toString()));
    }
    dispatch();
    return onStreamEnd();
  }

  private void dispatch() {
    if (hasData) {
      String name = event;
      String payload = data.toString();
      event = null;
      data.setLength(0);
      hasData = false;
      onEvent(name, payload);
    } else {
      event = null;
    }
  }

  /** Parses JSON text, failing with an {@link LlmException} that names the provider. */
  protected JsonNode parse(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      if (node == null || !node.isObject()) {
        throw new LlmException(provider, 0, "malformed response: expected a JSON object, got: " + shorten(text));
      }
      return node;
    } catch (IOException e) {
      throw new LlmException(provider, 0, "malformed response: not JSON: " + shorten(text), e);
    }
  }

  /** Fails on an {@code error} object inside a 2xx answer (both providers may send one mid-stream). */
  protected void failOnError(JsonNode node) {
    JsonNode error = node.path("error");
    if (!error.isMissingNode() && !error.isNull()) {
      throw new LlmException(provider, 0, "error in response: " + ProviderHttp.errorMessage(node.toString()));
    }
  }

  /** Hands a text fragment to the caller; a failing callback must not fail the model call. */
  protected void emit(Consumer<String> onToken, String fragment) {
    if (fragment.isEmpty()) {
      return;
    }
    try {
      onToken.accept(fragment);
    } catch (RuntimeException e) {
      log.warn("{}: onToken callback failed", provider, e);
    }
  }

  /** Parses JSON text that must be an object (a tool's schema, a call's arguments); blank gives {}. */
  static ObjectNode parseObject(String text, String what) {
    if (text == null || text.isBlank()) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode node = JSON.readTree(text);
      if (node instanceof ObjectNode object) {
        return object;
      }
    } catch (IOException e) {
      // Reported below.
    }
    throw new IllegalArgumentException(what + " is not a JSON object: " + shorten(text));
  }

  static String shorten(String text) {
    String t = text.strip();
    return t.length() > 200 ? t.substring(0, 200) + "..." : t;
  }
}
