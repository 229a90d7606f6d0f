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

  public boolean has(String field) {
    return errors.containsKey(field);
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
  /** An optional boolean field: absent or null is false. */
  public boolean optionalBoolean(JsonNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      add(field, "must be true or false");
      return false;
    }
    return value.booleanValue();
  }

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

  /**
   * A JSON number in a range; absent or null gives {@code defaultValue} when there is one, else
   * "is required". {@code minExclusive} makes the lower bound strict ("> min").
   */
  public double number(JsonNode body, String field, Double defaultValue, double min, boolean minExclusive, double max) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      if (defaultValue == null) {
        add(field, "is required");
        return Double.NaN;
      }
      return defaultValue;
    }
    if (!node.isNumber()) {
      add(field, "must be a number, was " + node.getNodeType().name().toLowerCase());
      return Double.NaN;
    }
    double value = node.doubleValue();
    boolean belowMin = minExclusive ? !(value > min) : !(value >= min);
    if (belowMin || !(value <= max)) {
      add(field, "must be " + (minExclusive ? "greater than " : "at least ") + fmt(min)
          + (max == Double.MAX_VALUE ? "" : " and at most " + fmt(max)) + ", was " + node.asText());
    }
    return value;
  }

  /** An optional ISO-8601 instant; absent or null gives null. */
  public java.time.Instant optionalInstant(JsonNode body, String field) {
    String text = optionalText(body, field, 64);
    if (text == null || errors.containsKey(field)) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(text).toInstant();
    } catch (java.time.format.DateTimeParseException e) {
      add(field, "must be an ISO-8601 date-time with an offset, e.g. 2026-11-22T10:00:00Z, was '" + abbreviate(text) + "'");
      return null;
    }
  }

  /** An optional enum constant by exact name; absent or null gives {@code defaultValue}. */
  public <E extends Enum<E>> E enumValue(JsonNode body, String field, Class<E> type, E defaultValue) {
    String text = optionalText(body, field, 64);
    if (text == null || errors.containsKey(field)) {
      if (defaultValue == null && text == null) {
        add(field, "is required");
      }
      return defaultValue;
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equals(text)) {
        return constant;
      }
    }
    add(field, "must be one of " + java.util.Arrays.toString(type.getEnumConstants()) + ", was '" + abbreviate(text) + "'");
    return defaultValue;
  }

  /** An optional number query parameter in [min, max]. */
  public Double queryDouble(Optional<String> raw, String field, double min, double max) {
    if (raw.isEmpty()) {
      return null;
    }
    try {
      double value = Double.parseDouble(raw.get().trim());
      if (!(value >= min && value <= max)) {
        add(field, "must be between " + fmt(min) + " and " + fmt(max));
      }
      return value;
    } catch (NumberFormatException e) {
      add(field, "must be a number, was '" + abbreviate(raw.get()) + "'");
      return null;
    }
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
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
    if (value.indexOf('\u0000') >= 0) {
      add(field, "must not contain the NUL character");  // PostgreSQL text cannot hold it
    } else if (value.isBlank()) {
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
