package io.troupe.runtime.agent;

import java.nio.charset.StandardCharsets;

/**
 * What one session may hold (troupe.sessions.max-*), so that no agent, however its model or script
 * replies, can fill a node's heap or its journal: a model reply's tool calls beyond
 * {@code maxToolCallsPerReply} are not run (each gets an error result the model sees); a tool's
 * result or error is kept (in state and journal) up to {@code maxToolResultBytes} of UTF-8, with a
 * marker saying how much was cut; a session whose state grows past {@code maxStateBytes} ends
 * {@code ERROR} with a reason starting {@value #STATE_TOO_LARGE}.
 */
public record SessionLimits(int maxToolCallsPerReply, int maxToolResultBytes, long maxStateBytes) {

  /** The defaults of the runtime's reference.conf, for sessions built without a configuration (tests). */
  public static final SessionLimits DEFAULT = new SessionLimits(16, 64 * 1024, 4L * 1024 * 1024);

  /** How the reason of a session ended by {@link #maxStateBytes} starts (SessionFailed.reason, the API's error). */
  public static final String STATE_TOO_LARGE = "STATE_TOO_LARGE";

  /** The error result of a call a reply made beyond the bound; it never ran. */
  String refusedCall(int position, int callsInReply) {
    return "not run: a model reply may make at most " + maxToolCallsPerReply + " tool calls"
        + " (troupe.sessions.max-tool-calls-per-reply); this reply made " + callsInReply
        + " and this was call " + position + ". Ask for fewer at a time.";
  }

  String stateTooLarge(long heldBytes) {
    return STATE_TOO_LARGE + ": the session holds about " + heldBytes + " bytes, more than the "
        + maxStateBytes + " a session may hold (troupe.sessions.max-state-bytes)";
  }

  /**
   * {@code text} cut to at most {@link #maxToolResultBytes} bytes of UTF-8 (the marker included),
   * never inside a character or between the halves of a surrogate pair; null stays null.
   */
  String capToolResult(String text) {
    if (text == null || text.length() * 3L <= maxToolResultBytes) {
      return text; // even all 3-byte characters would fit: no need to count
    }
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    if (utf8.length <= maxToolResultBytes) {
      return text;
    }
    // The marker's length depends on the count it names; the longest count fits any cut.
    int markerBytes = marker(utf8.length, utf8.length).getBytes(StandardCharsets.UTF_8).length;
    int budget = Math.max(0, maxToolResultBytes - markerBytes);
    int end = 0;
    int bytes = 0;
    while (end < text.length()) {
      int codePoint = text.codePointAt(end);
      int size = utf8Length(codePoint);
      if (bytes + size > budget) {
        break;
      }
      bytes += size;
      end += Character.charCount(codePoint);
    }
    return text.substring(0, end) + marker(utf8.length - bytes, utf8.length);
  }

  private String marker(long cutBytes, long totalBytes) {
    return "…[truncated: " + cutBytes + " of " + totalBytes + " bytes cut; a tool result is kept up to "
        + maxToolResultBytes + " bytes (troupe.sessions.max-tool-result-bytes)]";
  }

  private static int utf8Length(int codePoint) {
    return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
  }
}
