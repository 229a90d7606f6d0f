package io.troupe.http;

/**
 * Client-supplied text made safe for one log line: control characters (CR, LF, ESC, NUL, ...)
 * become visible escapes, so a path or header cannot forge log lines or drive a terminal, and
 * long values are cut.
 */
final class LogText {

  static final int MAX_CHARS = 500;

  private LogText() {}

  static String escape(String text) {
    if (text == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16);
    for (int i = 0; i < text.length() && out.length() < MAX_CHARS; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\\' -> out.append("\\\\");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.length() >= MAX_CHARS && text.length() > MAX_CHARS ? out + "…(cut)" : out.toString();
  }
}
