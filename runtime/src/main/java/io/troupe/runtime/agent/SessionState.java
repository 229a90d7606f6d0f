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
 *
 * <p>A session is a list of {@code turns}: the first is its start; a conversation (a
 * conversational agent's session) gets one more for each message it is sent. Messages sent while
 * a turn runs wait in {@code queued}, in order. {@code approvals} are the tool calls that waited
 * for a person, decided or not. {@code since} is when the current status began: a running turn's
 * time limit, a wait's timeout and an idle conversation's end count from it. {@code messageIds}
 * are the ids of the latest messages taken, so a message asked twice is taken once.
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
    int resumes,
    List<Turn> turns,
    List<String> queued,
    List<Approval> approvals,
    Instant since,
    List<String> messageIds) implements CborSerializable {

  /** How many message ids a session remembers to take a repeated message once. */
  static final int REMEMBERED_MESSAGE_IDS = 32;

  public SessionState {
    turns = turns == null ? List.of() : turns;
    queued = queued == null ? List.of() : queued;
    approvals = approvals == null ? List.of() : approvals;
    messageIds = messageIds == null ? List.of() : messageIds;
  }

  public enum Status {
    NEW, RUNNING, COMPLETED, ERROR, TIMEOUT, CANCELLED,
    /**
     * Parked after being resumed {@code troupe.sessions.max-resume-attempts} times in a row without
     * progress (each resume crashed its entity or its node). Nothing runs; it stays visible with
     * the reason in {@code error} until it is cancelled (then CANCELLED).
     */
    FAILED_RECOVERY,
    /** A conversation between turns: it answered and waits for the next message (or its close). */
    WAITING_FOR_INPUT,
    /** A tool call waits for a person to approve or reject it. */
    AWAITING_APPROVAL;

    /**
     * The statuses of a session that failed: its model, a tool loop or a budget (ERROR), its time
     * (TIMEOUT), or its resumes (FAILED_RECOVERY, parked).
     */
    public static final java.util.Set<Status> FAILED = java.util.EnumSet.of(ERROR, TIMEOUT, FAILED_RECOVERY);

    /** {@link #FAILED} as a SQL list for read-side queries: {@code ('ERROR', 'TIMEOUT', 'FAILED_RECOVERY')}. */
    public static final String FAILED_SQL = FAILED.stream().map(x -> "'" + x.name() + "'")
        .collect(java.util.stream.Collectors.joining(", ", "(", ")"));

    /** Ended for good. A parked session (FAILED_RECOVERY) has not: it may still be cancelled; nor one that waits. */
    public boolean finished() {
      return this != NEW && this != RUNNING && this != FAILED_RECOVERY && !waiting();
    }

    /** What a cancel ends: a running session, one that waits, or one parked. */
    public boolean cancellable() {
      return this == RUNNING || this == FAILED_RECOVERY || waiting();
    }

    /** Waiting for a person: the next message, or a decision on a tool call. Nothing runs meanwhile. */
    public boolean waiting() {
      return this == WAITING_FOR_INPUT || this == AWAITING_APPROVAL;
    }

    public boolean failed() {
      return FAILED.contains(this);
    }

    /** The status a {@link Session.SessionFailed} ends a session with. */
    public static Status of(Session.SessionFailed failed) {
      return failed.timedOut() ? TIMEOUT : ERROR;
    }
  }

  /**
   * One turn: the message that started it and the answer that ended it (null while it runs), with
   * the model calls, tokens and cost of its replies.
   */
  public record Turn(int number, String input, String output, int llmCalls, long inputTokens, long outputTokens,
                     double costUsd, Instant startedAt, Instant endedAt) implements CborSerializable {
    Turn replied(Session.LlmResponded r) {
      return new Turn(number, input, output, llmCalls + 1, inputTokens + r.usage().inputTokens(),
          outputTokens + r.usage().outputTokens(), costUsd + r.costUsd(), startedAt, endedAt);
    }

    Turn ended(String out, Instant at) {
      return new Turn(number, input, out, llmCalls, inputTokens, outputTokens, costUsd, startedAt, at);
    }
  }

  /**
   * A tool call that waited for a person: {@code decision} is null while it waits, then
   * {@value #APPROVED}, {@value #REJECTED} or {@value #TIMED_OUT} (nobody decided in time; the call
   * is rejected), with who decided, their comment and when.
   */
  public record Approval(String callId, int iteration, String tool, String argumentsJson, Instant requestedAt,
                         Instant deadline, String decision, String decidedBy, String comment, Instant decidedAt)
      implements CborSerializable {
    public static final String APPROVED = "APPROVED";
    public static final String REJECTED = "REJECTED";
    public static final String TIMED_OUT = "TIMED_OUT";

    public boolean pending() {
      return decision == null;
    }

    public boolean approved() {
      return APPROVED.equals(decision);
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
      List.of(), 0, 0, 0, 0, null, null, null, null, null, 0, List.of(), List.of(), List.of(), null, List.of());

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

  /**
   * The model replies of the current turn: maxIterations bounds a turn, so a conversation may go
   * on for as many turns as its users send.
   */
  public int turnIterations() {
    return turns.isEmpty() ? iterations : lastTurn().llmCalls();
  }

  /** The turn that runs or ran last (null before the start). */
  public Turn lastTurn() {
    return turns.isEmpty() ? null : turns.get(turns.size() - 1);
  }

  /** The approval of call {@code callId} of the current model reply, if it was asked for. */
  public java.util.Optional<Approval> approvalOf(String callId) {
    return approvals.stream().filter(a -> a.callId().equals(callId) && a.iteration() == iterations).findFirst();
  }

  /** The approval this session waits for, if it waits for one. */
  public java.util.Optional<Approval> pendingApproval() {
    return approvals.stream().filter(Approval::pending).findFirst();
  }

  /** Whether a message with this id was taken already. */
  public boolean tookMessage(String messageId) {
    return messageId != null && messageIds.contains(messageId);
  }

  /** The number the next message's turn gets: after the turns and the messages queued. */
  public int nextTurnNumber() {
    return turns.size() + queued.size() + 1;
  }

  SessionState apply(Session.Event event) {
    if (event instanceof Session.SessionStarted s) {
      String system = s.definition().systemPrompt() != null && !s.definition().systemPrompt().isBlank()
          ? s.definition().systemPrompt()
          : "You are " + s.definition().role() + ".";
      return new SessionState(Status.RUNNING, s.agentName(), s.definition(), s.input(), s.userId(),
          List.of(ChatMessage.system(system), ChatMessage.user(s.input())), 0, List.of(), List.of(), 0, 0, 0, 0,
          s.startedAt(), null, null, null, s.chain(), 0,
          List.of(new Turn(1, s.input(), null, 0, 0, 0, 0.0, s.startedAt(), null)), List.of(), List.of(),
          s.startedAt(), List.of());
    }
    Copy next = new Copy(this);
    if (event instanceof Session.LlmResponded r) {
      next.conversation = plus(conversation, ChatMessage.assistant(r.text(), r.toolCalls()));
      next.iterations = iterations + 1;
      next.pending = r.toolCalls();
      next.inputTokens += r.usage().inputTokens();
      next.outputTokens += r.usage().outputTokens();
      next.cacheHits += r.cached() ? 1 : 0;
      next.cacheMisses += r.cacheable() && !r.cached() ? 1 : 0;
      next.resumes = 0;
      if (!turns.isEmpty()) {
        next.turns = replaceLast(turns, lastTurn().replied(r));
      }
    } else if (event instanceof Session.ToolCallStarted t) {
      next.toolCalls = plus(toolCalls, new ToolCallRecord(t.callId(), t.name(), t.argumentsJson(), iterations,
          ToolCallRecord.STARTED, null, null, 0));
    } else if (event instanceof Session.ToolCallCompleted c) {
      List<ToolCallRecord> calls = new ArrayList<>();
      for (ToolCallRecord r : toolCalls) {
        calls.add(r.callId().equals(c.callId()) && r.iteration() == iterations
            ? new ToolCallRecord(r.callId(), r.name(), r.argumentsJson(), r.iteration(),
                c.ok() ? ToolCallRecord.OK : ToolCallRecord.ERROR, c.result(), c.error(), c.durationMillis())
            : r);
      }
      String content = c.ok() ? c.result() : "{\"error\":" + quote(c.error()) + "}";
      next.conversation = plus(conversation, ChatMessage.tool(c.callId(), c.name(), content));
      next.pending = pending.stream().filter(p -> !p.id().equals(c.callId())).toList();
      next.toolCalls = List.copyOf(calls);
      next.resumes = 0;
    } else if (event instanceof Session.SessionCompleted done) {
      return finish(Status.COMPLETED, done.at(), done.output(), null);
    } else if (event instanceof Session.SessionFailed failed) {
      return finish(Status.of(failed), failed.at(), null, failed.reason());
    } else if (event instanceof Session.SessionResumed r) {
      next.resumes = r.attempt();
    } else if (event instanceof Session.SessionParked parked) {
      return finish(Status.FAILED_RECOVERY, parked.at(), null, parked.reason());
    } else if (event instanceof Session.TurnStarted t) {
      next.status = Status.RUNNING;
      next.conversation = plus(conversation, ChatMessage.user(t.input()));
      next.turns = plus(turns, new Turn(t.turn(), t.input(), null, 0, 0, 0, 0.0, t.at(), null));
      next.queued = t.fromQueue() && !queued.isEmpty() ? List.copyOf(queued.subList(1, queued.size())) : queued;
      next.since = t.at();
      next.messageIds = t.fromQueue() ? messageIds : remember(t.messageId());
    } else if (event instanceof Session.InputQueued q) {
      next.queued = plus(queued, q.input());
      next.messageIds = remember(q.messageId());
    } else if (event instanceof Session.TurnCompleted t) {
      next.status = Status.WAITING_FOR_INPUT;
      next.output = t.output();
      next.since = t.at();
      if (!turns.isEmpty()) {
        next.turns = replaceLast(turns, lastTurn().ended(t.output(), t.at()));
      }
    } else if (event instanceof Session.ApprovalRequested a) {
      next.status = Status.AWAITING_APPROVAL;
      next.since = a.at();
      next.approvals = plus(approvals, new Approval(a.callId(), iterations, a.tool(), a.argumentsJson(), a.at(),
          a.deadline(), null, null, null, null));
    } else if (event instanceof Session.ApprovalDecided d) {
      next.status = Status.RUNNING;
      next.since = d.at();
      next.approvals = approvals.stream().map(a -> a.pending() && a.callId().equals(d.callId())
          ? new Approval(a.callId(), a.iteration(), a.tool(), a.argumentsJson(), a.requestedAt(), a.deadline(),
              d.decision(), d.decidedBy(), d.comment(), d.at())
          : a).toList();
    } else {
      Session.SessionCancelled cancelled = (Session.SessionCancelled) event;
      // A parked session's work ended when it was parked; the cancel only closes it.
      return finish(Status.CANCELLED, endedAt != null ? endedAt : cancelled.at(), null, "cancelled");
    }
    return next.build();
  }

  private List<String> remember(String messageId) {
    if (messageId == null) {
      return messageIds;
    }
    List<String> ids = new ArrayList<>(messageIds);
    ids.add(messageId);
    return List.copyOf(ids.size() > REMEMBERED_MESSAGE_IDS ? ids.subList(ids.size() - REMEMBERED_MESSAGE_IDS, ids.size()) : ids);
  }

  private SessionState finish(Status newStatus, Instant at, String out, String err) {
    Copy next = new Copy(this);
    next.status = newStatus;
    next.endedAt = at;
    // A conversation closed between turns keeps its last answer as its output.
    next.output = out;
    next.error = err;
    if (newStatus != Status.COMPLETED && !turns.isEmpty() && lastTurn().endedAt() == null) {
      next.turns = replaceLast(turns, lastTurn().ended(null, at));
    } else if (newStatus == Status.COMPLETED && !turns.isEmpty() && lastTurn().endedAt() == null) {
      next.turns = replaceLast(turns, lastTurn().ended(out, at));
    }
    return next.build();
  }

  private static <T> List<T> replaceLast(List<T> list, T item) {
    List<T> out = new ArrayList<>(list);
    out.set(out.size() - 1, item);
    return List.copyOf(out);
  }

  /** A copy being changed: one place that names every field, so each event changes only its own. */
  private static final class Copy {
    Status status;
    final String agentName;
    final AgentDefinition definition;
    final String input;
    final String userId;
    List<ChatMessage> conversation;
    int iterations;
    List<ToolCall> pending;
    List<ToolCallRecord> toolCalls;
    long inputTokens;
    long outputTokens;
    int cacheHits;
    int cacheMisses;
    final Instant startedAt;
    Instant endedAt;
    String output;
    String error;
    final CallChain chain;
    int resumes;
    List<Turn> turns;
    List<String> queued;
    List<Approval> approvals;
    Instant since;
    List<String> messageIds;

    Copy(SessionState s) {
      status = s.status;
      agentName = s.agentName;
      definition = s.definition;
      input = s.input;
      userId = s.userId;
      conversation = s.conversation;
      iterations = s.iterations;
      pending = s.pending;
      toolCalls = s.toolCalls;
      inputTokens = s.inputTokens;
      outputTokens = s.outputTokens;
      cacheHits = s.cacheHits;
      cacheMisses = s.cacheMisses;
      startedAt = s.startedAt;
      endedAt = s.endedAt;
      output = s.output;
      error = s.error;
      chain = s.chain;
      resumes = s.resumes;
      turns = s.turns;
      queued = s.queued;
      approvals = s.approvals;
      since = s.since;
      messageIds = s.messageIds;
    }

    SessionState build() {
      return new SessionState(status, agentName, definition, input, userId, conversation, iterations, pending,
          toolCalls, inputTokens, outputTokens, cacheHits, cacheMisses, startedAt, endedAt, output, error, chain,
          resumes, turns, queued, approvals, since, messageIds);
    }
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
