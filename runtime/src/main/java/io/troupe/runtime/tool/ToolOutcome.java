package io.troupe.runtime.tool;

/**
 * What a tool call came to, as the model will see it: either {@code ok} with the result as JSON
 * text, or not ok with a short error message. Never both. {@code durationMillis} is the time
 * from the call's start (validation included) to its outcome.
 */
public record ToolOutcome(boolean ok, String result, String error, long durationMillis) {

  /** Errors longer than this are cut, so a tool's failure cannot flood the model's context. */
  public static final int MAX_ERROR_CHARS = 2000;

  public ToolOutcome {
    if (ok && result == null) {
      throw new IllegalArgumentException("a successful outcome needs a result");
    }
    if (!ok) {
      result = null;
      error = shorten(error == null || error.isBlank() ? "tool failed" : error);
    } else {
      error = null;
    }
  }

  public static ToolOutcome ok(String resultJson) {
    return new ToolOutcome(true, resultJson, null, 0);
  }

  public static ToolOutcome error(String message) {
    return new ToolOutcome(false, null, message, 0);
  }

  public ToolOutcome withDurationMillis(long millis) {
    return new ToolOutcome(ok, result, error, millis);
  }

  private static String shorten(String message) {
    if (message.length() <= MAX_ERROR_CHARS) {
      return message;
    }
    String marker = "… (truncated)";
    return message.substring(0, MAX_ERROR_CHARS - marker.length()) + marker;
  }
}
