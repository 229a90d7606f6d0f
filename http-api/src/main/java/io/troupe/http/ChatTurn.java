package io.troupe.http;

import io.troupe.runtime.agent.Session;
import io.troupe.runtime.agent.SessionState;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows one turn of a session through its events and tokens ({@link SessionEvents.Item}, in
 * order) and says what the chat door answers: text as it comes, then the answer with the turn's
 * usage, or why there is none. A turn starts at its {@code TurnStarted} (turn 1: the session's
 * start) and ends at its {@code TurnCompleted}, or, for a session that is not a conversation, at
 * the session's end; tool calls in between run inside Troupe and show only as the text the model
 * writes around them.
 *
 * <p>The text streamed is the model's text of the turn as it is written: each reply's tokens, and
 * of a reply whose tokens did not all come (a cached reply streams none; a slow reader's overflow
 * drops some) what its journaled text holds beyond what was sent. Replies with text are separated
 * by a blank line. The answer ({@link Answered#content}) is the turn's final reply, the session's
 * output, as the session API shows it.
 *
 * <p>Not thread-safe: one instance per followed turn (a stream's {@code statefulMapConcat}).
 */
final class ChatTurn implements org.apache.pekko.japi.function.Function<SessionEvents.Item, Iterable<ChatTurn.Out>> {

  /** What the door sends. */
  sealed interface Out {}

  /** Text of the answer as it is written. */
  record Delta(String text) implements Out {}

  /** The turn answered {@code content}; its model calls used these tokens. */
  record Answered(String content, long promptTokens, long completionTokens) implements Out {}

  /** The turn ended without an answer: the session's status (ERROR, TIMEOUT, CANCELLED, ...) and why. */
  record Failed(String status, String reason) implements Out {}

  static final String SEPARATOR = "\n\n";

  private final int turn;
  private boolean inTurn;
  private boolean sentText;
  private final StringBuilder replyTokens = new StringBuilder();
  private long promptTokens;
  private long completionTokens;

  /** Follows turn {@code turn} (1: the session's first, which its start begins). */
  ChatTurn(int turn) {
    this.turn = turn;
  }

  /** Whether nothing follows {@code out}. */
  static boolean last(Out out) {
    return out instanceof Answered || out instanceof Failed;
  }

  @Override
  public Iterable<Out> apply(SessionEvents.Item item) {
    List<Out> out = new ArrayList<>(2);
    if (item.event() == null) {
      if (inTurn && item.token() != null && !item.token().isEmpty()) {
        out.add(new Delta((replyTokens.isEmpty() && sentText ? SEPARATOR : "") + item.token()));
        replyTokens.append(item.token());
        sentText = true;
      }
      return out;
    }
    Session.Event e = item.event().event();
    if (e instanceof Session.SessionStarted && turn == 1
        || e instanceof Session.TurnStarted t && t.turn() == turn) {
      inTurn = true;
    } else if (e instanceof Session.LlmResponded r && inTurn) {
      promptTokens += r.usage().inputTokens();
      completionTokens += r.usage().outputTokens();
      rest(r.text(), out);
      replyTokens.setLength(0);
    } else if (e instanceof Session.TurnCompleted t && t.turn() >= turn && inTurn) {
      answered(t.output(), out);
    } else if (e instanceof Session.SessionCompleted c) {
      if (inTurn) {
        answered(c.output(), out);
      } else {
        out.add(new Failed("COMPLETED", "the session ended (" + (c.closed() == null ? "completed" : c.closed())
            + ") before this message's turn started"));
      }
    } else if (e instanceof Session.SessionFailed f) {
      out.add(new Failed(SessionState.Status.of(f).name(), f.reason()));
    } else if (e instanceof Session.SessionCancelled) {
      out.add(new Failed("CANCELLED", "the session was cancelled"));
    } else if (e instanceof Session.SessionParked p) {
      out.add(new Failed("FAILED_RECOVERY", p.reason()));
    }
    return out;
  }

  /** What a reply's journaled text holds beyond the tokens sent of it (all of it when none came). */
  private void rest(String text, List<Out> out) {
    if (text == null || text.isEmpty()) {
      return;
    }
    String sent = replyTokens.toString();
    if (text.length() > sent.length() && text.startsWith(sent)) {
      out.add(new Delta((sent.isEmpty() && sentText ? SEPARATOR : "") + text.substring(sent.length())));
      sentText = true;
    }
  }

  private void answered(String output, List<Out> out) {
    String content = output == null ? "" : output;
    if (!sentText && !content.isEmpty()) {
      out.add(new Delta(content));
    }
    out.add(new Answered(content, promptTokens, completionTokens));
  }
}
