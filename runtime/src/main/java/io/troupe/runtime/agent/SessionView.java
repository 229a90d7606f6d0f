package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A session as the API reports it: its figures, and one page of its tool calls
 * ({@code toolCallCount} in all; this page starts at {@code toolCallsFrom}, and {@code toolCallsNext}
 * is where the next one starts, or null on the last). {@code owner} is the API user it belongs to
 * and is charged to ({@code userId}, kept under its first name as well for existing clients).
 * {@code rootSessionId}, {@code parentSessionId} (null for a root) and {@code callDepth} (0 for a
 * root) place it in its {@code call_agent} call chain.
 *
 * <p>{@code conversational}: the session is a conversation (it waits for messages between
 * turns). {@code turns} are its latest {@value #SHOWN_TURNS} turns ({@code turnCount} in all),
 * each with its input, output, tokens and cost; {@code queuedMessages} wait for the running turn;
 * {@code approvals} are its latest {@value #SHOWN_TURNS} tool calls that needed a person's
 * approval, {@code pendingApproval} the one it waits for (null when none). {@code costUsd}: what
 * its model replies cost by the pricing table.
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
    String error,
    int toolCallCount,
    int toolCallsFrom,
    Integer toolCallsNext,
    String rootSessionId,
    String parentSessionId,
    int callDepth,
    boolean conversational,
    int turnCount,
    List<SessionState.Turn> turns,
    int queuedMessages,
    List<SessionState.Approval> approvals,
    SessionState.Approval pendingApproval,
    double costUsd) implements CborSerializable {

  /** Turns and approvals a view shows: the latest ones (the messages endpoint pages the whole conversation). */
  static final int SHOWN_TURNS = 20;

  /** Tool results and the input are cut at this many characters here (the journal keeps them up to its own bound). */
  static final int MAX_TEXT = 16 * 1024;

  /** Tool calls in the entity's own replies (Get, Cancel): the first page, so a reply fits a cluster message. */
  static final int ENTITY_REPLY_TOOL_CALLS = 20;

  static SessionView of(String sessionId, SessionState s) {
    return of(sessionId, s, Instant.now());
  }

  /** The view at {@code now} (the node's clock), with the first page of tool calls. */
  static SessionView of(String sessionId, SessionState s, Instant now) {
    return of(sessionId, s, now, 0, ENTITY_REPLY_TOOL_CALLS);
  }

  /**
   * The view at {@code now} (the node's clock: a running session's duration is counted up to it),
   * with the tool calls from index {@code from} (0 is the first), at most {@code limit} of them.
   */
  static SessionView of(String sessionId, SessionState s, Instant now, int from, int limit) {
    Long duration = s.startedAt() == null ? null
        : Duration.between(s.startedAt(), s.endedAt() == null ? now : s.endedAt()).toMillis();
    int count = s.toolCalls().size();
    int start = Math.min(Math.max(0, from), count);
    int end = (int) Math.min(count, (long) start + Math.max(0, limit));
    // Bounded (a page of cut texts), so a reply always fits a cluster message (the frame limit is 2 MiB).
    List<SessionState.ToolCallRecord> calls = s.toolCalls().subList(start, end).stream()
        .map(c -> new SessionState.ToolCallRecord(c.callId(), c.name(), cut(c.argumentsJson()), c.iteration(),
            c.outcome(), cut(c.result()), cut(c.error()), c.durationMillis()))
        .toList();
    return new SessionView(sessionId, s.agentName(), s.status().name(), cut(s.input()), s.userId(), s.userId(),
        s.iterations(),
        s.iterations(), calls, s.inputTokens(), s.outputTokens(), s.cacheHits(), s.cacheMisses(),
        s.startedAt(), s.endedAt(), duration, cut(s.output()), cut(s.error()),
        count, start, end < count ? end : null,
        s.status() == SessionState.Status.NEW ? null : s.chainOf(sessionId).rootSessionId(),
        s.chain() == null ? null : s.chain().parentSessionId(), s.chain() == null ? 0 : s.chain().depth(),
        s.definition() != null && s.definition().conversational(), s.turns().size(),
        latest(s.turns()).stream().map(t -> new SessionState.Turn(t.number(), cut(t.input()), cut(t.output()),
            t.llmCalls(), t.inputTokens(), t.outputTokens(), t.costUsd(), t.startedAt(), t.endedAt())).toList(),
        s.queued().size(),
        latest(s.approvals()).stream().map(SessionView::cut).toList(),
        s.pendingApproval().map(SessionView::cut).orElse(null),
        s.turns().stream().mapToDouble(SessionState.Turn::costUsd).sum());
  }

  private static <T> List<T> latest(List<T> all) {
    return all.size() <= SHOWN_TURNS ? all : all.subList(all.size() - SHOWN_TURNS, all.size());
  }

  private static SessionState.Approval cut(SessionState.Approval a) {
    return new SessionState.Approval(a.callId(), a.iteration(), a.tool(), cut(a.argumentsJson()), a.requestedAt(),
        a.deadline(), a.decision(), a.decidedBy(), cut(a.comment()), a.decidedAt());
  }

  private static String cut(String text) {
    if (text == null || text.length() <= MAX_TEXT) {
      return text;
    }
    // Never between the halves of a surrogate pair: a lone one cannot be written as CBOR.
    int end = Character.isHighSurrogate(text.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
    return text.substring(0, end) + "…(" + (text.length() - end) + " more characters)";
  }
}
