package io.troupe.runtime.tool;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a tool call's arguments against the tool's parameter schema, so a model's bad argument
 * becomes an error it can read and correct rather than a failure inside the tool.
 *
 * <p>Supported keywords, the subset tool parameters use: {@code type} (a name or an array of
 * names: object, string, number, integer, boolean, array, null), {@code properties},
 * {@code required}, {@code additionalProperties} ({@code false} or a schema), {@code enum},
 * {@code const}, {@code minimum}, {@code maximum}, {@code exclusiveMinimum} and
 * {@code exclusiveMaximum} (as numbers, or as draft-4 booleans), {@code minLength} and
 * {@code maxLength} (in code points), {@code pattern} (Java regex, searched anywhere in the
 * string as JSON Schema specifies; anchor it with {@code ^…$}), {@code items} (one schema for
 * every item), {@code minItems} and {@code maxItems}.
 *
 * <p>Ignored: {@code $ref}, {@code allOf}/{@code anyOf}/{@code oneOf}/{@code not},
 * {@code if}/{@code then}/{@code else}, {@code format}, {@code multipleOf}, {@code uniqueItems},
 * {@code contains}, {@code prefixItems} and tuple-form {@code items}, {@code patternProperties},
 * {@code dependencies}, {@code minProperties}/{@code maxProperties}, and annotations
 * ({@code default}, {@code description}, {@code title}, {@code examples}). A value these would
 * reject passes, so a tool must not rely on them.
 *
 * <p>Schemas nest at most {@link #MAX_DEPTH} levels; a value nested deeper is reported rather
 * than walked, and at most {@link #MAX_ERRORS} errors are reported.
 */
public final class JsonSchemaValidator {

  public static final int MAX_DEPTH = 32;
  public static final int MAX_ERRORS = 20;
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  /** Tools' schemas are few and fixed; the bound only guards against schemas built per call. */
  private static final int MAX_CACHED_PATTERNS = 1024;
  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

  private JsonSchemaValidator() {}

  /** Every way {@code value} breaks {@code schema}, each naming its JSON path; empty when it conforms. */
  public static List<String> validate(JsonNode schema, JsonNode value) {
    List<String> errors = new ArrayList<>();
    check(schema, value, "$", 0, errors);
    return errors.size() > MAX_ERRORS ? List.copyOf(errors.subList(0, MAX_ERRORS)) : List.copyOf(errors);
  }

  private static void check(JsonNode schema, JsonNode value, String path, int depth, List<String> errors) {
    if (schema == null || !schema.isObject() || errors.size() > MAX_ERRORS) {
      return; // true, {} or absent: anything goes
    }
    if (depth >= MAX_DEPTH) {
      errors.add(path + ": is nested too deeply (more than " + MAX_DEPTH + " levels)");
      return;
    }
    if (!typeMatches(schema.get("type"), value)) {
      errors.add(path + ": must be of type " + typeNames(schema.get("type")) + " (was " + typeOf(value) + ")");
      return; // the other keywords would only repeat the mismatch
    }
    checkEnum(schema, value, path, errors);
    if (value.isNumber()) {
      checkNumber(schema, value.decimalValue(), path, errors);
    } else if (value.isTextual()) {
      checkString(schema, value.textValue(), path, errors);
    } else if (value.isArray()) {
      checkArray(schema, value, path, depth, errors);
    } else if (value.isObject()) {
      checkObject(schema, value, path, depth, errors);
    }
  }

  private static void checkEnum(JsonNode schema, JsonNode value, String path, List<String> errors) {
    JsonNode allowed = schema.get("enum");
    if (allowed != null && allowed.isArray()) {
      boolean found = false;
      for (JsonNode option : allowed) {
        found |= sameValue(option, value);
      }
      if (!found) {
        errors.add(path + ": must be one of " + allowed);
      }
    }
    JsonNode constant = schema.get("const");
    if (constant != null && !sameValue(constant, value)) {
      errors.add(path + ": must be " + constant);
    }
  }

  private static void checkNumber(JsonNode schema, BigDecimal number, String path, List<String> errors) {
    BigDecimal minimum = decimal(schema.get("minimum"));
    BigDecimal maximum = decimal(schema.get("maximum"));
    JsonNode exclusiveMin = schema.get("exclusiveMinimum");
    JsonNode exclusiveMax = schema.get("exclusiveMaximum");
    boolean draft4ExclusiveMin = exclusiveMin != null && exclusiveMin.asBoolean(false);
    boolean draft4ExclusiveMax = exclusiveMax != null && exclusiveMax.asBoolean(false);
    if (minimum != null) {
      if (draft4ExclusiveMin ? number.compareTo(minimum) <= 0 : number.compareTo(minimum) < 0) {
        errors.add(path + ": must be " + (draft4ExclusiveMin ? "greater than " : "at least ") + plain(minimum));
      }
    }
    if (maximum != null) {
      if (draft4ExclusiveMax ? number.compareTo(maximum) >= 0 : number.compareTo(maximum) > 0) {
        errors.add(path + ": must be " + (draft4ExclusiveMax ? "less than " : "at most ") + plain(maximum));
      }
    }
    BigDecimal above = decimal(exclusiveMin);
    if (above != null && number.compareTo(above) <= 0) {
      errors.add(path + ": must be greater than " + plain(above));
    }
    BigDecimal below = decimal(exclusiveMax);
    if (below != null && number.compareTo(below) >= 0) {
      errors.add(path + ": must be less than " + plain(below));
    }
  }

  private static void checkString(JsonNode schema, String text, String path, List<String> errors) {
    int length = text.codePointCount(0, text.length());
    JsonNode minLength = schema.get("minLength");
    if (minLength != null && minLength.canConvertToLong() && length < minLength.asLong()) {
      errors.add(path + ": must be at least " + minLength.asLong() + " characters long (was " + length + ")");
    }
    JsonNode maxLength = schema.get("maxLength");
    if (maxLength != null && maxLength.canConvertToLong() && length > maxLength.asLong()) {
      errors.add(path + ": must be at most " + maxLength.asLong() + " characters long (was " + length + ")");
    }
    JsonNode pattern = schema.get("pattern");
    if (pattern != null && pattern.isTextual()) {
      Pattern compiled = compile(pattern.textValue());
      if (compiled == null) {
        errors.add(path + ": cannot be checked, the tool's schema has an invalid pattern");
      } else if (!compiled.matcher(text).find()) {
        errors.add(path + ": must match the pattern " + pattern.textValue());
      }
    }
  }

  private static void checkArray(JsonNode schema, JsonNode array, String path, int depth, List<String> errors) {
    JsonNode minItems = schema.get("minItems");
    if (minItems != null && minItems.canConvertToLong() && array.size() < minItems.asLong()) {
      errors.add(path + ": must have at least " + minItems.asLong() + " items (had " + array.size() + ")");
    }
    JsonNode maxItems = schema.get("maxItems");
    if (maxItems != null && maxItems.canConvertToLong() && array.size() > maxItems.asLong()) {
      errors.add(path + ": must have at most " + maxItems.asLong() + " items (had " + array.size() + ")");
    }
    JsonNode items = schema.get("items");
    if (items != null && items.isObject()) {
      for (int i = 0; i < array.size(); i++) {
        check(items, array.get(i), path + "[" + i + "]", depth + 1, errors);
      }
    }
  }

  private static void checkObject(JsonNode schema, JsonNode object, String path, int depth, List<String> errors) {
    JsonNode required = schema.get("required");
    if (required != null && required.isArray()) {
      for (JsonNode name : required) {
        if (name.isTextual() && !object.has(name.textValue())) {
          errors.add(child(path, name.textValue()) + ": is required");
        }
      }
    }
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      String fieldPath = child(path, field.getKey());
      JsonNode propertySchema = properties.get(field.getKey());
      if (propertySchema != null) {
        check(propertySchema, field.getValue(), fieldPath, depth + 1, errors);
      } else if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
        errors.add(fieldPath + ": is not allowed (unknown property; allowed: " + names(properties) + ")");
      } else if (additional != null && additional.isObject()) {
        check(additional, field.getValue(), fieldPath, depth + 1, errors);
      }
    }
  }

  private static boolean typeMatches(JsonNode type, JsonNode value) {
    if (type == null) {
      return true;
    }
    if (type.isTextual()) {
      return isOfType(type.textValue(), value);
    }
    if (type.isArray()) {
      for (JsonNode option : type) {
        if (option.isTextual() && isOfType(option.textValue(), value)) {
          return true;
        }
      }
      return type.isEmpty();
    }
    return true;
  }

  private static boolean isOfType(String type, JsonNode value) {
    return switch (type) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "boolean" -> value.isBoolean();
      case "null" -> value.isNull();
      case "number" -> value.isNumber();
      // JSON Schema counts 2.0 as an integer: the value, not its spelling, decides.
      case "integer" -> value.isIntegralNumber()
          || (value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0);
      default -> true; // an unknown type name constrains nothing
    };
  }

  private static String typeNames(JsonNode type) {
    if (type.isArray()) {
      List<String> names = new ArrayList<>();
      type.forEach(t -> names.add(t.asText()));
      return String.join(" or ", names);
    }
    return type.asText();
  }

  private static String typeOf(JsonNode value) {
    if (value.isNumber()) {
      return isOfType("integer", value) ? "integer" : "number";
    }
    return switch (value.getNodeType()) {
      case OBJECT -> "object";
      case ARRAY -> "array";
      case STRING -> "string";
      case BOOLEAN -> "boolean";
      case NULL -> "null";
      default -> value.getNodeType().name().toLowerCase();
    };
  }

  /** JSON equality, with numbers compared by value (1 equals 1.0). */
  private static boolean sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a.equals(b);
  }

  private static BigDecimal decimal(JsonNode node) {
    return node != null && node.isNumber() ? node.decimalValue() : null;
  }

  private static String plain(BigDecimal number) {
    return number.stripTrailingZeros().toPlainString();
  }

  private static String names(JsonNode properties) {
    List<String> names = new ArrayList<>();
    properties.fieldNames().forEachRemaining(names::add);
    return names.isEmpty() ? "none" : String.join(", ", names);
  }

  private static String child(String path, String name) {
    return IDENTIFIER.matcher(name).matches()
        ? path + "." + name
        : path + "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']";
  }

  private static Pattern compile(String regex) {
    try {
      Pattern cached = PATTERNS.get(regex);
      if (cached != null) {
        return cached;
      }
      Pattern compiled = Pattern.compile(regex);
      if (PATTERNS.size() < MAX_CACHED_PATTERNS) {
        PATTERNS.put(regex, compiled);
      }
      return compiled;
    } catch (PatternSyntaxException e) {
      return null;
    }
  }
}
