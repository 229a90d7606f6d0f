package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A session as the API reports it. {@code owner} is the API user it belongs to and is charged to
 * ({@code userId}, kept under its first name as well for existing clients).
 */
public record SessionView(
    String sessionId,
    String agentName,
    String status,
    String input,
    String owner,
    String userId,
    int iterations,
    int llmCalls,
    List<SessionState.ToolCallRecord> toolCalls,
    long inputTokens,
    long outputTokens,
    int cacheHits,
    int cacheMisses,
    Instant startedAt,
    Instant endedAt,
    Long durationMillis,
    String output,
    String error) implements CborSerializable {

  /** Tool results and the input are cut at this many characters here (the journal keeps them whole). */
  static final int MAX_TEXT = 16 * 1024;

  static SessionView of(String sessionId, SessionState s) {
    return of(sessionId, s, Instant.now());
  }

  /** The view at {@code now} (the node's clock): a running session's duration is counted up to it. */
  static SessionView of(String sessionId, SessionState s, Instant now) {
    Long duration = s.startedAt() == null ? null
        : Duration.between(s.startedAt(), s.endedAt() == null ? now : s.endedAt()).toMillis();
    // Bounded, so a reply always fits a cluster message (the frame limit is 2 MiB).
    List<SessionState.ToolCallRecord> calls = s.toolCalls().stream()
        .map(c -> new SessionState.ToolCallRecord(c.callId(), c.name(), cut(c.argumentsJson()), c.iteration(),
            c.outcome(), cut(c.result()), cut(c.error()), c.durationMillis()))
        .toList();
    return new SessionView(sessionId, s.agentName(), s.status().name(), cut(s.input()), s.userId(), s.userId(),
        s.iterations(),
        s.iterations(), calls, s.inputTokens(), s.outputTokens(), s.cacheHits(), s.cacheMisses(),
        s.startedAt(), s.endedAt(), duration, cut(s.output()), cut(s.error()));
  }

  private static String cut(String text) {
    return text == null || text.length() <= MAX_TEXT ? text
        : text.substring(0, MAX_TEXT) + "…(" + (text.length() - MAX_TEXT) + " more characters)";
  }
}
