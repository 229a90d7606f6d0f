package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.Agents;
import io.troupe.runtime.agent.Ownership;
import io.troupe.runtime.agent.SessionIds;
import io.troupe.runtime.agent.SessionState;
import io.troupe.runtime.agent.Sessions;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.node.ConfigChecks;
import io.troupe.runtime.node.TroupeNode;
import io.troupe.runtime.readside.AgentQueries;
import io.troupe.runtime.service.Refused;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The OpenAI-compatible door, {@code /v1}: {@code POST /v1/chat/completions} runs a turn of the
 * agent {@code model} names and answers it as OpenAI's chat API does (whole, or streamed as
 * {@code chat.completion.chunk} events), and {@code GET /v1/models} lists the agents the key may
 * run. It only translates: sessions are started and continued through {@link Sessions}, as from
 * {@code /api/v1}, with the same key, permissions, rate limits, quotas and audit (the guard and
 * {@link RouteTable} serve both prefixes); errors are in OpenAI's shape ({@link OpenAiErrors}).
 *
 * <p>Without {@code X-Troupe-Session} a completion starts a new session of the agent (a
 * conversation when the agent is conversational), and its answer names the session in that
 * header; with it, the completion is the conversation's next turn (409 while a turn runs, or when
 * the session is no conversation or has ended). How messages map to the input: {@link ChatRequest}.
 * A completion waits for its turn's end at most {@code troupe.openai.completion-timeout}; the turn
 * goes on in its session after a timeout or a client that left, and can be read there.
 */
public final class OpenAiRoutes extends EdgeDirectives {

  /** The conversation a completion continues, in the request; the session it ran in, in the answer. */
  public static final String SESSION_HEADER = "X-Troupe-Session";
  /** Agents read per query while listing models. */
  private static final int MODELS_PAGE = 200;
  /** What the edge adds to the completion timeout before Pekko's request timeout answers 503 itself. */
  private static final Duration REQUEST_TIMEOUT_SLACK = Duration.ofSeconds(10);

  private final ActorSystem<?> system;
  private final Sessions sessions;
  private final Agents agents;
  private final AgentQueries agentList;
  private final SessionEvents events;
  private final Duration completionTimeout;
  private final int maxModels;
  private final Duration keepAlive;
  /** A whole answer not ready by then is begun with spaces (null: connections never idle out). */
  private final Duration commitAfter;
  private final Duration idleKeepAlive;

  public OpenAiRoutes(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    this.system = node.system();
    this.sessions = Sessions.get(system);
    this.agents = Agents.get(system);
    this.agentList = new AgentQueries(node.database());
    this.events = new SessionEvents(node);
    var config = system.settings().config();
    this.completionTimeout = ConfigChecks.positiveDuration(config, "troupe.openai.completion-timeout");
    this.maxModels = ConfigChecks.positiveInt(config, "troupe.openai.max-models");
    this.keepAlive = io.troupe.runtime.node.RuntimeSettings.get(system).broker().streamKeepAlive();
    Duration idle = idleTimeout(config);
    this.commitAfter = idle == null ? null : idle.dividedBy(2);
    this.idleKeepAlive = idle == null ? null : idle.dividedBy(3);
  }

  /** pekko.http.server.idle-timeout; null when it is "infinite". */
  private static Duration idleTimeout(com.typesafe.config.Config config) {
    String path = "pekko.http.server.idle-timeout";
    return config.getString(path).equals("infinite") ? null : config.getDuration(path);
  }

  /** The routes under {@code /v1} (the prefix is matched by the server). */
  public Route route() {
    return concat(
        path(segment("chat").slash("completions"), () -> template("/v1/chat/completions", () -> post(this::completion))),
        pathPrefix("models", () -> concat(
            pathEnd(() -> template("/v1/models", () -> get(this::models))),
            path(segment(), name -> template("/v1/models/{model}", () -> get(() -> model(name)))))));
  }

  /**
   * {@code inner} with every error in OpenAI's shape: exceptions and rejections are mapped to
   * problems here (not by the server's outer handlers), and every problem is rewritten.
   */
  Route withOpenAiErrors(Supplier<Route> inner) {
    return mapResponse(OpenAiErrors::fromProblem, () ->
        handleExceptions(ProblemHandlers.exceptions(), () ->
            handleRejections(ProblemHandlers.rejections(), inner)));
  }

  // --- completions ---

  /** A turn being followed: its session, its number, and the session's items from before it began. */
  private record Begun(String sessionId, int turn, Source<SessionEvents.Item, NotUsed> items) {}

  /** The door's answer for a failure of the turn's beginning, made before anything was sent. */
  private static final class Answer extends RuntimeException {
    final HttpResponse response;

    Answer(HttpResponse response) {
      super(null, null, false, false);
      this.response = response;
    }
  }

  private Route completion() {
    return principal(caller -> optionalHeaderValueByName(SESSION_HEADER, header -> jsonObject(body -> {
      ChatRequest.Read read = ChatRequest.read(body, header.isPresent());
      if (read instanceof ChatRequest.Read.Invalid invalid) {
        return complete(OpenAiErrors.invalid(invalid.param(), invalid.message()));
      }
      ChatRequest request = ((ChatRequest.Read.Ok) read).request();
      if (header.isPresent()) {
        Optional<HttpResponse> refused = checkSessionHeader(header.get().strip(), request.model());
        if (refused.isPresent()) {
          return complete(refused.get());
        }
      }
      Supplier<CompletionStage<Begun>> begin = () -> header.isPresent()
          ? next(header.get().strip(), request, caller) : first(request, caller);
      if (!request.stream()) {
        return withRequestTimeout(completionTimeout.plus(REQUEST_TIMEOUT_SLACK), () ->
            onComplete(begin.get(), begun -> begun.isFailure() ? complete(failed(begun.failed().get()))
                : onComplete(beforeIdle(begun.get(), whole(begun.get(), request)), answered ->
                    complete(answered.isSuccess() ? answered.get() : failed(answered.failed().get())))));
      }
      // A stream takes one of the node's SSE stream slots (and the key's, and the user's quota), as every stream.
      return streamSlot(release -> onComplete(begin.get(), begun -> {
        if (begun.isFailure()) {
          release.run();
          return complete(failed(begun.failed().get()));
        }
        return complete(streamed(begun.get(), request, release));
      }));
    })));
  }

  /** A malformed id is no session (404); a session of another agent than {@code model} is a 400. */
  private static Optional<HttpResponse> checkSessionHeader(String sessionId, String model) {
    if (!SessionIds.valid(sessionId)) {
      return Optional.of(OpenAiErrors.response(404, "no session " + abbreviate(sessionId) + " is known ("
          + SESSION_HEADER + " names a session id this node answered in that header)", null, "session_not_found"));
    }
    String agent = SessionIds.agentOf(sessionId);
    if (!agent.equals(model)) {
      return Optional.of(OpenAiErrors.response(400, "session " + sessionId + " is a conversation with agent " + agent
          + ", not " + model + "; send \"model\": \"" + agent + "\" with it", "model", "model_mismatch"));
    }
    return Optional.empty();
  }

  /** A new session of the agent: the feed is joined under the new id first, so no token of turn 1 is missed. */
  private CompletionStage<Begun> first(ChatRequest request, Principal caller) {
    String sessionId = sessions.newSessionId(request.model());
    return events.join(sessionId).thenCompose(live ->
        sessions.start(request.model(), request.input(), new Sessions.Origin.Caller(caller, null), sessionId)
            .thenCompose(started -> sessions.journaled(sessionId, caller))
            .handle((journaled, error) -> {
              if (error != null) {
                live.leave();
                throw new CompletionException(startRefused(request.model(), error));
              }
              return new Begun(sessionId, 1, live.follow(journaled, 1));
            }));
  }

  /**
   * The conversation's next turn: the feed is joined and the session read before the message is
   * sent, so the turn is followed from its start (the read's events are not sent again).
   */
  private CompletionStage<Begun> next(String sessionId, ChatRequest request, Principal caller) {
    return events.join(sessionId).thenCompose(live -> sessions.journaled(sessionId, caller)
        .thenCompose(journaled -> {
          notReady(sessionId, journaled.state()).ifPresent(refusal -> {
            throw new Answer(refusal);
          });
          long after = journaled.events().isEmpty() ? 0 : journaled.events().get(journaled.events().size() - 1).seqNr();
          return sessions.message(sessionId, request.input(), null, caller)
              .thenApply(changed -> new Begun(sessionId, changed.turn(), live.follow(journaled, after + 1)));
        })
        .handle((begun, error) -> {
          if (error != null) {
            live.leave();
            Throwable cause = unwrap(error);
            throw new CompletionException(cause instanceof Refused r && r.reason() == Refused.Reason.NOT_FOUND
                ? new Answer(OpenAiErrors.response(404, r.getMessage(), null, "session_not_found")) : cause);
          }
          return begun;
        }));
  }

  /** Why the session cannot take a message now (409), or empty when it waits for one. */
  private static Optional<HttpResponse> notReady(String sessionId, SessionState state) {
    if (state.definition() == null || !state.definition().conversational()) {
      return Optional.of(conflict("session " + sessionId + " is not a conversation: agent " + state.agentName()
          + " is not defined with \"conversational\": true, so its session ends with its answer; send the request"
          + " without " + SESSION_HEADER + " to start a new session", "not_conversational", false));
    }
    SessionState.Status status = state.status();
    if (status == SessionState.Status.RUNNING || status == SessionState.Status.AWAITING_APPROVAL) {
      // A lock, in OpenAI's terms: the client may retry once the turn has ended.
      return Optional.of(conflict("session " + sessionId + " is still running a turn (status " + status
          + "); send the next message when it has answered", "turn_in_progress", true));
    }
    if (status != SessionState.Status.WAITING_FOR_INPUT) {
      return Optional.of(conflict("session " + sessionId + " has ended (status " + status + "); send the request"
          + " without " + SESSION_HEADER + " to start a new conversation", "session_ended", false));
    }
    return Optional.empty();
  }

  private static HttpResponse conflict(String message, String code, boolean retry) {
    HttpResponse response = OpenAiErrors.response(409, message, null, code);
    return retry ? response : response.addHeader(OpenAiErrors.NO_RETRY);
  }

  /** A start's refusal: an unknown or retired agent is OpenAI's model_not_found; the rest as everywhere. */
  private static Throwable startRefused(String model, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof Refused r
        && (r.reason() == Refused.Reason.NOT_FOUND || r.reason() == Refused.Reason.CONFLICT)) {
      return new Answer(OpenAiErrors.modelNotFound("the model '" + model + "' does not exist: " + r.getMessage()));
    }
    return cause;
  }

  /** Non-streaming: waits for the turn's end, bounded by the completion timeout. */
  private CompletionStage<HttpResponse> whole(Begun begun, ChatRequest request) {
    ChatResponses shapes = ChatResponses.of(begun.sessionId(), begun.turn(), request.model());
    return begun.items()
        .statefulMapConcat(() -> new ChatTurn(begun.turn()))
        .filter(ChatTurn::last)
        .take(1)
        .completionTimeout(completionTimeout)
        .runWith(Sink.headOption(), system)
        .handle((last, error) -> {
          HttpHeader session = RawHeader.create(SESSION_HEADER, begun.sessionId());
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
                  response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
                      ? strict.getData() : ByteString.emptyByteString()))
              .keepAlive(idleKeepAlive, () -> SPACE);
          return HttpResponse.create()
              .withEntity(HttpEntities.createChunked(org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON,
                  body))
              .addHeader(RawHeader.create(SESSION_HEADER, begun.sessionId()));
        });
  }

  private static final ByteString SPACE = ByteString.fromString(" ");

  /** Streaming: 200 at once, then the turn's text as chunks, its end, and [DONE]. */
  private HttpResponse streamed(Begun begun, ChatRequest request, Runnable release) {
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
        .addHeader(RawHeader.create(SESSION_HEADER, begun.sessionId()))
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
  private static HttpResponse failed(Throwable error) {
    Throwable cause = unwrap(error);
    return cause instanceof Answer answer ? answer.response : ProblemHandlers.toResponse(cause);
  }

  // --- models ---

  /**
   * GET /v1/models: the agents the caller may run (its own and shared ones; an administrator's:
   * all), not retired, in name order, from the agent read table (it trails definitions by about a
   * second); read {@value #MODELS_PAGE} at a time, at most {@code troupe.openai.max-models}.
   */
  private Route models() {
    return principal(caller -> respond(runnable(caller.isAdmin() ? null : caller.userId(), "", new ArrayList<>())
        .thenApply(found -> {
          ObjectNode body = Json.MAPPER.createObjectNode().put("object", "list");
          var data = body.putArray("data");
          found.forEach(agent -> data.add(model(agent)));
          return Json.response(StatusCodes.OK, body);
        })));
  }

  private CompletionStage<List<Agent.AgentView>> runnable(String runner, String after, List<Agent.AgentView> found) {
    int want = Math.min(MODELS_PAGE, maxModels - found.size());
    return agentList.runnable(runner, after, want).thenCompose(page -> {
      found.addAll(page);
      if (page.size() < want || found.size() >= maxModels) {
        return CompletableFuture.completedFuture(found);
      }
      return runnable(runner, page.get(page.size() - 1).name(), found);
    });
  }

  /** GET /v1/models/{model}: the agent, if the caller may run it (403 if it is another user's private one). */
  private Route model(String name) {
    return principal(caller -> onComplete(agents.get(name), got -> {
      if (got.isFailure()) {
        Throwable cause = unwrap(got.failed().get());
        return complete(cause instanceof Refused r && r.reason() == Refused.Reason.NOT_FOUND
            ? OpenAiErrors.modelNotFound("the model '" + name + "' does not exist: " + r.getMessage())
            : ProblemHandlers.toResponse(cause));
      }
      Agent.AgentView agent = got.get();
      if (agent.status() == Agent.Status.RETIRED) {
        return complete(OpenAiErrors.modelNotFound("the model '" + name + "' does not exist: agent " + name
            + " is retired"));
      }
      if (!Ownership.mayRun(agent, caller)) {
        return complete(OpenAiErrors.response(403, "agent " + name + " is private to its owner; only its owner or an"
            + " administrator may run it", null, "permission_denied"));
      }
      return complete(Json.response(StatusCodes.OK, model(agent)));
    }));
  }

  private static ObjectNode model(Agent.AgentView agent) {
    ObjectNode model = Json.MAPPER.createObjectNode();
    model.put("id", agent.name()).put("object", "model")
        .put("created", agent.definedAt() == null ? 0 : agent.definedAt().getEpochSecond())
        .put("owned_by", agent.owner());
    return model;
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
