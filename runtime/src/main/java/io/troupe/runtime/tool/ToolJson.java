package io.troupe.runtime.tool;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** JSON helpers shared by the built-in tools. */
final class ToolJson {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private ToolJson() {}

  /** Parses JSON written in the source (a tool's schema); a mistake there is a bug. */
  static JsonNode parse(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON in a tool definition", e);
    }
  }

  /** JSON stored as text, or the text itself as a JSON string when it is not valid JSON. */
  static JsonNode parseOrText(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      return MAPPER.getNodeFactory().textNode(json);
    }
  }
}
