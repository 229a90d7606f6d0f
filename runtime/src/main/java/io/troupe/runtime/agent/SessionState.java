package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.ToolCall;
import io.troupe.runtime.tool.CallChain;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a session stands, rebuilt from its events: the conversation so far, the tool calls of
 * the last model reply that have not completed ({@code pending}, in order), the figures the
 * API reports, and its {@link CallChain} (null when journaled before chains were: a root).
 * {@code resumes} counts how often in a row the session was resumed (its entity started again
 * while it was running) with no step journaled since: a model reply or a completed tool call
 * resets it to 0.
 */
public record SessionState(
    Status status,
    String agentName,
    AgentDefinition definition,
    String input,
    String userId,
    List<ChatMessage> conversation,
    int iterations,
    List<ToolCall> pending,
    List<ToolCallRecord> toolCalls,
    long inputTokens,
    long outputTokens,
    int cacheHits,
    int cacheMisses,
    Instant startedAt,
    Instant endedAt,
    String output,
    String error,
    CallChain chain,
    int resumes) implements CborSerializable {

  public enum Status {
    NEW, RUNNING, COMPLETED, ERROR, TIMEOUT, CANCELLED,
    /**
     * Parked after being resumed {@code troupe.sessions.max-resume-attempts} times in a row without
     * progress (each resume crashed its entity or its node). Nothing runs; it stays visible with
     * the reason in {@code error} until it is cancelled (then CANCELLED).
     */
    FAILED_RECOVERY;

    /**
     * The statuses of a session that failed: its model, a tool loop or a budget (ERROR), its time
     * (TIMEOUT), or its resumes (FAILED_RECOVERY, parked).
     */
    public static final java.util.Set<Status> FAILED = java.util.EnumSet.of(ERROR, TIMEOUT, FAILED_RECOVERY);

    /** {@link #FAILED} as a SQL list for read-side queries: {@code ('ERROR', 'TIMEOUT', 'FAILED_RECOVERY')}. */
    public static final String FAILED_SQL = FAILED.stream().map(x -> "'" + x.name() + "'")
        .collect(java.util.stream.Collectors.joining(", ", "(", ")"));

    /** Ended for good. A parked session (FAILED_RECOVERY) has not: it may still be cancelled. */
    public boolean finished() {
      return this != NEW && this != RUNNING && this != FAILED_RECOVERY;
    }

    /** What a cancel ends: a running session, or one parked. */
    public boolean cancellable() {
      return this == RUNNING || this == FAILED_RECOVERY;
    }

    public boolean failed() {
      return FAILED.contains(this);
    }

    /** The status a {@link Session.SessionFailed} ends a session with. */
    public static Status of(Session.SessionFailed failed) {
      return failed.timedOut() ? TIMEOUT : ERROR;
    }
  }

  /** One tool call and, once it completed, its outcome. */
  public record ToolCallRecord(String callId, String name, String argumentsJson, int iteration, String outcome,
                               String result, String error, long durationMillis) implements CborSerializable {
    public static final String STARTED = "STARTED";
    public static final String OK = "OK";
    public static final String ERROR = "ERROR";
  }

  static final SessionState EMPTY = new SessionState(Status.NEW, null, null, null, null, List.of(), 0, List.of(),
      List.of(), 0, 0, 0, 0, null, null, null, null, null, 0);

  public boolean running() {
    return status == Status.RUNNING;
  }

  /** The session's call chain; one journaled before chains were recorded is a root no API key started. */
  public CallChain chainOf(String sessionId) {
    return chain != null ? chain : CallChain.root(sessionId, agentName);
  }

  /**
   * True when the call of the current model reply was started (journaled) before; a resumed
   * session runs it again with the same id. Only this reply's calls count: a model may repeat a
   * call id of an earlier reply (OpenAI-compatible servers that omit ids get "call_0" each time).
   */
  public boolean started(String callId) {
    return toolCalls.stream().anyMatch(c -> c.callId().equals(callId) && c.iteration() == iterations);
  }

  /** The model's last reply, or null before the first. */
  public ChatMessage lastReply() {
    for (int i = conversation.size() - 1; i >= 0; i--) {
      if ("assistant".equals(conversation.get(i).role())) {
        return conversation.get(i);
      }
    }
    return null;
  }

  /**
   * About how many bytes the session holds: the characters of its conversation, which has the
   * input, every reply with its tool calls' arguments, and every tool result and error (the
   * records of {@code toolCalls} share those strings). An estimate for
   * {@link SessionLimits#maxStateBytes}, the same on every node and after a resume.
   */
  public long heldBytes() {
    long bytes = 0;
    for (ChatMessage m : conversation) {
      bytes += length(m.content());
      for (ToolCall c : m.toolCalls() == null ? List.<ToolCall>of() : m.toolCalls()) {
        bytes += length(c.argumentsJson());
      }
    }
    return bytes;
  }

  private static long length(String s) {
    return s == null ? 0 : s.length();
  }

  SessionState apply(Session.Event event) {
    if (event instanceof Session.SessionStarted s) {
      String system = s.definition().systemPrompt() != null && !s.definition().systemPrompt().isBlank()
          ? s.definition().systemPrompt()
          : "You are " + s.definition().role() + ".";
      return new SessionState(Status.RUNNING, s.agentName(), s.definition(), s.input(), s.userId(),
          List.of(ChatMessage.system(system), ChatMessage.user(s.input())), 0, List.of(), List.of(), 0, 0, 0, 0,
          s.startedAt(), null, null, null, s.chain(), 0);
    }
    if (event instanceof Session.LlmResponded r) {
      return new SessionState(status, agentName, definition, input, userId,
          plus(conversation, ChatMessage.assistant(r.text(), r.toolCalls())), iterations + 1, r.toolCalls(),
          toolCalls, inputTokens + r.usage().inputTokens(), outputTokens + r.usage().outputTokens(),
          cacheHits + (r.cached() ? 1 : 0), cacheMisses + (r.cacheable() && !r.cached() ? 1 : 0),
          startedAt, endedAt, output, error, chain, 0);
    }
    if (event instanceof Session.ToolCallStarted t) {
      return new SessionState(status, agentName, definition, input, userId, conversation, iterations, pending,
          plus(toolCalls, new ToolCallRecord(t.callId(), t.name(), t.argumentsJson(), iterations,
              ToolCallRecord.STARTED, null, null, 0)),
          inputTokens, outputTokens, cacheHits, cacheMisses, startedAt, endedAt, output, error, chain, resumes);
    }
    if (event instanceof Session.ToolCallCompleted c) {
      List<ToolCallRecord> calls = new ArrayList<>();
      for (ToolCallRecord r : toolCalls) {
        calls.add(r.callId().equals(c.callId()) && r.iteration() == iterations
            ? new ToolCallRecord(r.callId(), r.name(), r.argumentsJson(), r.iteration(),
                c.ok() ? ToolCallRecord.OK : ToolCallRecord.ERROR, c.result(), c.error(), c.durationMillis())
            : r);
      }
      String content = c.ok() ? c.result() : "{\"error\":" + quote(c.error()) + "}";
      return new SessionState(status, agentName, definition, input, userId,
          plus(conversation, ChatMessage.tool(c.callId(), c.name(), content)), iterations,
          pending.stream().filter(p -> !p.id().equals(c.callId())).toList(), List.copyOf(calls),
          inputTokens, outputTokens, cacheHits, cacheMisses, startedAt, endedAt, output, error, chain, 0);
    }
    if (event instanceof Session.SessionCompleted done) {
      return finish(Status.COMPLETED, done.at(), done.output(), null);
    }
    if (event instanceof Session.SessionFailed failed) {
      return finish(Status.of(failed), failed.at(), null, failed.reason());
    }
    if (event instanceof Session.SessionResumed r) {
      return new SessionState(status, agentName, definition, input, userId, conversation, iterations, pending,
          toolCalls, inputTokens, outputTokens, cacheHits, cacheMisses, startedAt, endedAt, output, error, chain,
          r.attempt());
    }
    if (event instanceof Session.SessionParked parked) {
      return finish(Status.FAILED_RECOVERY, parked.at(), null, parked.reason());
    }
    Session.SessionCancelled cancelled = (Session.SessionCancelled) event;
    // A parked session's work ended when it was parked; the cancel only closes it.
    return finish(Status.CANCELLED, endedAt != null ? endedAt : cancelled.at(), null, "cancelled");
  }

  private SessionState finish(Status newStatus, Instant at, String out, String err) {
    return new SessionState(newStatus, agentName, definition, input, userId, conversation, iterations, pending,
        toolCalls, inputTokens, outputTokens, cacheHits, cacheMisses, startedAt, at, out, err, chain, resumes);
  }

  private static <T> List<T> plus(List<T> list, T item) {
    List<T> out = new ArrayList<>(list.size() + 1);
    out.addAll(list);
    out.add(item);
    return List.copyOf(out);
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : (s == null ? "" : s).toCharArray()) {
      switch (ch) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (ch < 0x20) {
            b.append(String.format("\\u%04x", (int) ch));
          } else {
            b.append(ch);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
