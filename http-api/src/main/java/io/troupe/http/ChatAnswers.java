package io.troupe.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * How the chat door answers a turn it began ({@link OpenAiRoutes}): whole (a {@code
 * chat.completion} when the turn has answered) or streamed ({@code chat.completion.chunk} events as
 * {@link ChatTurn} follows it), bounded by {@code troupe.openai.completion-timeout}, and what a turn
 * that ended without an answer becomes: a budget's stop 429 {@code insufficient_quota}, a timeout
 * 504 {@code timeout}, any other end 500 {@code agent_failed}, each with {@code x-should-retry:
 * false} (the agent ran; a retry would run it again) and {@code X-Troupe-Session}.
 */
final class ChatAnswers {

  /** A turn being followed: its session, its number, and the session's items from before it began. */
  record Begun(String sessionId, int turn, Source<SessionEvents.Item, NotUsed> items) {}

  /** The door's answer for a failure of the turn's beginning, made before anything was sent. */
  static final class Answer extends RuntimeException {
    final HttpResponse response;

    Answer(HttpResponse response) {
      super(null, null, false, false);
      this.response = response;
    }
  }

  private static final ByteString SPACE = ByteString.fromString(" ");

  private final ActorSystem<?> system;
  private final Duration completionTimeout;
  private final Duration keepAlive;
  /** A whole answer not ready by then is begun with spaces (null: connections never idle out). */
  private final Duration commitAfter;
  private final Duration idleKeepAlive;

  /**
   * @param keepAlive   how often an idle stream gets a comment (troupe.broker.stream-keep-alive)
   * @param idleTimeout pekko.http.server.idle-timeout (null: infinite)
   */
  ChatAnswers(ActorSystem<?> system, Duration completionTimeout, Duration keepAlive, Duration idleTimeout) {
    this.system = system;
    this.completionTimeout = completionTimeout;
    this.keepAlive = keepAlive;
    this.commitAfter = idleTimeout == null ? null : idleTimeout.dividedBy(2);
    this.idleKeepAlive = idleTimeout == null ? null : idleTimeout.dividedBy(3);
  }

  /** The whole answer: the completion, or the turn's failure; begun early when it is long (see {@link #beforeIdle}). */
  CompletionStage<HttpResponse> whole(Begun begun, ChatRequest request) {
    return beforeIdle(begun, answer(begun, request));
  }

  /** Non-streaming: waits for the turn's end, bounded by the completion timeout. */
  private CompletionStage<HttpResponse> answer(Begun begun, ChatRequest request) {
    ChatResponses shapes = ChatResponses.of(begun.sessionId(), begun.turn(), request.model());
    return begun.items()
        .statefulMapConcat(() -> new ChatTurn(begun.turn()))
        .filter(ChatTurn::last)
        .take(1)
        .completionTimeout(completionTimeout)
        .runWith(Sink.headOption(), system)
        .handle((last, error) -> {
          HttpHeader session = RawHeader.create(OpenAiRoutes.SESSION_HEADER, begun.sessionId());
          if (error != null || last.isEmpty()) {
            return turnFailed(begun, error != null ? unwrap(error) : null).addHeader(session);
          }
          if (last.get() instanceof ChatTurn.Failed failed) {
            return sessionFailed(begun, failed).addHeader(session);
          }
          return Json.response(StatusCodes.OK, shapes.completion((ChatTurn.Answered) last.get())).addHeader(session);
        });
  }

  /**
   * The whole answer, or, when the turn has not ended within {@link #commitAfter} (half the
   * connection's idle timeout), a 200 whose JSON body follows spaces sent every
   * {@link #idleKeepAlive}: Pekko closes a connection on which no byte moved for
   * pekko.http.server.idle-timeout (60 s), also while its request waits, and a turn may take longer.
   * JSON may begin with whitespace, so clients read the answer as usual; a turn that fails after
   * that point ends the 200 body with OpenAI's error object (and {@code X-Troupe-Session} names the
   * session to read).
   */
  private CompletionStage<HttpResponse> beforeIdle(Begun begun, CompletionStage<HttpResponse> answer) {
    if (commitAfter == null) {
      return answer;
    }
    CompletableFuture<HttpResponse> whole = answer.toCompletableFuture();
    return whole.copy().completeOnTimeout(null, commitAfter.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .thenApply(early -> {
          if (early != null) {
            return early;
          }
          Source<ByteString, NotUsed> body = Source.completionStage(whole.thenApply(response ->
                  response.entity() instanceof HttpEntity.Strict strict
                      ? strict.getData() : ByteString.emptyByteString()))
              .keepAlive(idleKeepAlive, () -> SPACE);
          return HttpResponse.create()
              .withEntity(HttpEntities.createChunked(ContentTypes.APPLICATION_JSON,
                  body))
              .addHeader(RawHeader.create(OpenAiRoutes.SESSION_HEADER, begun.sessionId()));
        });
  }

  /** Streaming: 200 at once, then the turn's text as chunks, its end, and [DONE]. */
  HttpResponse streamed(Begun begun, ChatRequest request, Runnable release) {
    ChatResponses shapes = ChatResponses.of(begun.sessionId(), begun.turn(), request.model());
    boolean usage = request.includeUsage();
    Source<ByteString, NotUsed> chunks = begun.items()
        .statefulMapConcat(() -> new ChatTurn(begun.turn()))
        .takeWhile(out -> !ChatTurn.last(out), true)
        .completionTimeout(completionTimeout)
        .map(out -> {
          if (out instanceof ChatTurn.Delta d) {
            return shapes.textChunk(d.text(), usage);
          }
          if (out instanceof ChatTurn.Answered a) {
            return shapes.finish(a, usage);
          }
          ChatTurn.Failed f = (ChatTurn.Failed) out;
          return ChatResponses.error(failureStatus(f), failureMessage(begun, f), failureCode(f));
        })
        .recover(new org.apache.pekko.japi.pf.PFBuilder<Throwable, ByteString>()
            .matchAny(error -> unwrap(error) instanceof TimeoutException
                ? ChatResponses.error(504, timeoutMessage(begun), "timeout")
                : ChatResponses.error(500, "following session " + begun.sessionId() + " failed; the node's log has"
                    + " the details, and the session can be read under /api/v1/sessions/" + begun.sessionId(), null))
            .build())
        .prepend(Source.single(shapes.roleChunk(usage)))
        .keepAlive(keepAlive, () -> ChatResponses.KEEP_ALIVE)
        .watchTermination((mat, done) -> {
          done.whenComplete((d, e) -> release.run());
          return mat;
        });
    return HttpResponse.create()
        .withEntity(HttpEntities.createChunked(MediaTypes.TEXT_EVENT_STREAM.toContentType(), chunks))
        .addHeader(RawHeader.create(OpenAiRoutes.SESSION_HEADER, begun.sessionId()))
        .addHeader(CacheControl.create(CacheDirectives.NO_CACHE));
  }

  /** The turn was not followed to its end: the completion timeout passed, or following failed. */
  private HttpResponse turnFailed(Begun begun, Throwable error) {
    if (error == null || error instanceof TimeoutException) {
      return OpenAiErrors.response(504, timeoutMessage(begun), null, "timeout").addHeader(OpenAiErrors.NO_RETRY);
    }
    return failed(error).addHeader(OpenAiErrors.NO_RETRY);
  }

  private String timeoutMessage(Begun begun) {
    return "turn " + begun.turn() + " of session " + begun.sessionId() + " did not end within "
        + completionTimeout.toSeconds() + " s (troupe.openai.completion-timeout); it goes on in its session: read"
        + " it under /api/v1/sessions/" + begun.sessionId();
  }

  /** The session ended without answering: ERROR 500 (a budget's refusal 429 insufficient_quota), TIMEOUT 504. */
  private static HttpResponse sessionFailed(Begun begun, ChatTurn.Failed failed) {
    int status = failureStatus(failed);
    return OpenAiErrors.response(status, failureMessage(begun, failed),
            budget(failed) ? "insufficient_quota" : OpenAiErrors.typeFor(status), null, failureCode(failed))
        .addHeader(OpenAiErrors.NO_RETRY);
  }

  private static int failureStatus(ChatTurn.Failed failed) {
    if (budget(failed)) {
      return 429;
    }
    return failed.status().equals("TIMEOUT") ? 504 : 500;
  }

  private static String failureCode(ChatTurn.Failed failed) {
    if (budget(failed)) {
      return "insufficient_quota";
    }
    return failed.status().equals("TIMEOUT") ? "timeout" : "agent_failed";
  }

  private static boolean budget(ChatTurn.Failed failed) {
    return failed.reason() != null && failed.reason().startsWith(io.troupe.runtime.agent.Session.BUDGET_EXCEEDED);
  }

  private static String failureMessage(Begun begun, ChatTurn.Failed failed) {
    return "session " + begun.sessionId() + " ended " + failed.status() + " without answering turn " + begun.turn()
        + (failed.reason() == null ? "" : ": " + failed.reason());
  }

  /** The answer for a failure before the turn began: the door's own, else the edge's mapping (rewritten). */
  static HttpResponse failed(Throwable error) {
    Throwable cause = unwrap(error);
    return cause instanceof Answer answer ? answer.response : ProblemHandlers.toResponse(cause);
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
