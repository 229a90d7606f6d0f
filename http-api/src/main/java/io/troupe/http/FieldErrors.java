package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Collects what is wrong with a request's fields (body or query), so one 400 names every bad
 * field at once rather than the first only.
 */
public final class FieldErrors {

  private final Map<String, String> errors = new LinkedHashMap<>();

  public boolean any() {
    return !errors.isEmpty();
  }

  public Problem problem() {
    return Problem.invalid(errors);
  }

  public void add(String field, String message) {
    errors.putIfAbsent(field, message);
  }

  /** A required non-blank string of at most {@code maxLength} characters. */
  public String requiredText(JsonNode body, String field, int maxLength) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      add(field, "is required");
      return null;
    }
    return text(node, field, maxLength);
  }

  /** An optional string (absent or null gives null) of at most {@code maxLength} characters. */
  public String optionalText(JsonNode body, String field, int maxLength) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    return text(node, field, maxLength);
  }

  /** A required member of any JSON type (null included). */
  public JsonNode requiredAny(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null) {
      add(field, "is required");
    }
    return node;
  }

  /** A required integer in [min, max]. */
  public long requiredLong(JsonNode body, String field, long min, long max) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      add(field, "is required");
      return 0;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      add(field, "must be an integer");
      return 0;
    }
    return inRange(field, node.longValue(), min, max);
  }

  /** An optional integer query parameter in [min, max]. */
  public long queryLong(Optional<String> raw, String field, long defaultValue, long min, long max) {
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      return inRange(field, Long.parseLong(raw.get().trim()), min, max);
    } catch (NumberFormatException e) {
      add(field, "must be an integer, was '" + abbreviate(raw.get()) + "'");
      return defaultValue;
    }
  }

  private long inRange(String field, long value, long min, long max) {
    if (value < min || value > max) {
      add(field, max == Long.MAX_VALUE ? "must be at least " + min : "must be between " + min + " and " + max);
    }
    return value;
  }

  private String text(JsonNode node, String field, int maxLength) {
    if (!node.isTextual()) {
      add(field, "must be a string, was " + node.getNodeType().name().toLowerCase());
      return null;
    }
    String value = node.textValue();
    if (value.isBlank()) {
      add(field, "must not be blank");
    } else if (value.length() > maxLength) {
      add(field, "must be at most " + maxLength + " characters (was " + value.length() + ")");
    }
    return value;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
