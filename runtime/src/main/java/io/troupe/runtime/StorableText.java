package io.troupe.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Text that can be stored. JSON may escape a lone UTF-16 surrogate ({@code "\ud800"}) and Jackson
 * reads it into a Java string, but CBOR (the journal's format) holds only valid Unicode: an event
 * carrying one fails to persist, and the entity restarts trying. Doors check what they accept here.
 */
public final class StorableText {

  private StorableText() {}

  /** The index of the first lone surrogate in {@code text}, or -1 when it is valid Unicode. */
  public static int loneSurrogateAt(CharSequence text) {
    if (text == null) {
      return -1;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
        return i;
      }
      if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  public static boolean hasLoneSurrogate(CharSequence text) {
    return loneSurrogateAt(text) >= 0;
  }

  /**
   * Where in {@code node} a string or field name holds a lone surrogate, as a JSON Pointer
   * ("" for the root), or empty when it holds none.
   */
  public static Optional<String> loneSurrogateIn(JsonNode node) {
    return find(node, "");
  }

  /** A problem's wording for a lone surrogate found at {@code pointer}: "... holds " + this. */
  public static String describe(String pointer) {
    return "a lone UTF-16 surrogate" + (pointer.isEmpty() ? "" : " at " + pointer)
        + " (a \\ud800-\\udfff escape without its pair); text must be valid Unicode";
  }

  // Depth-first; the parser's nesting limit bounds the depth of any node read from a body.
  private static Optional<String> find(JsonNode node, String pointer) {
    if (node == null) {
      return Optional.empty();
    }
    if (node.isTextual()) {
      return hasLoneSurrogate(node.textValue()) ? Optional.of(pointer) : Optional.empty();
    }
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        String here = pointer + "/" + escape(field.getKey());
        if (hasLoneSurrogate(field.getKey())) {
          return Optional.of(pointer + "/" + escape(replaceSurrogates(field.getKey())));
        }
        Optional<String> found = find(field.getValue(), here);
        if (found.isPresent()) {
          return found;
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        Optional<String> found = find(node.get(i), pointer + "/" + i);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  private static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  /** The pointer goes into a problem's detail, which must itself be storable. */
  private static String replaceSurrogates(String key) {
    StringBuilder out = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
        out.append(c).append(key.charAt(++i));
      } else {
        out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return out.toString();
  }
}
