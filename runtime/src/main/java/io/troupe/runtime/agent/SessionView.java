package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** A session as the API reports it. */
public record SessionView(
    String sessionId,
    String agentName,
    String status,
    String input,
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

  static SessionView of(String sessionId, SessionState s) {
    Long duration = s.startedAt() == null ? null
        : Duration.between(s.startedAt(), s.endedAt() == null ? Instant.now() : s.endedAt()).toMillis();
    return new SessionView(sessionId, s.agentName(), s.status().name(), s.input(), s.userId(), s.iterations(),
        s.iterations(), s.toolCalls(), s.inputTokens(), s.outputTokens(), s.cacheHits(), s.cacheMisses(),
        s.startedAt(), s.endedAt(), duration, s.output(), s.error());
  }
}
