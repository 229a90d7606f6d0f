package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.Agents;
import io.troupe.runtime.agent.Ownership;
import io.troupe.runtime.agent.SessionIds;
import io.troupe.runtime.agent.SessionView;
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
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

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
  private final ChatAnswers answers;

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
    this.answers = new ChatAnswers(system, completionTimeout,
        io.troupe.runtime.node.RuntimeSettings.get(system).broker().streamKeepAlive(), idleTimeout(config));
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
      Supplier<CompletionStage<ChatAnswers.Begun>> begin = () -> header.isPresent()
          ? next(header.get().strip(), request, caller) : first(request, caller);
      if (!request.stream()) {
        return withRequestTimeout(completionTimeout.plus(REQUEST_TIMEOUT_SLACK), () ->
            onComplete(begin.get(), begun -> begun.isFailure() ? complete(ChatAnswers.failed(begun.failed().get()))
                : onComplete(answers.whole(begun.get(), request), answered -> complete(answered.isSuccess()
                    ? answered.get() : ChatAnswers.failed(answered.failed().get())))));
      }
      // A stream takes one of the node's SSE stream slots (and the key's, and the user's quota), as every stream.
      return streamSlot(release -> onComplete(begin.get(), begun -> {
        if (begun.isFailure()) {
          release.run();
          return complete(ChatAnswers.failed(begun.failed().get()));
        }
        return complete(answers.streamed(begun.get(), request, release));
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
  private CompletionStage<ChatAnswers.Begun> first(ChatRequest request, Principal caller) {
    String sessionId = sessions.newSessionId(request.model());
    return events.join(sessionId).thenCompose(live ->
        sessions.start(request.model(), request.input(), new Sessions.Origin.Caller(caller, null), sessionId)
            .thenCompose(started -> sessions.journaled(sessionId, caller))
            .handle((journaled, error) -> {
              if (error != null) {
                live.leave();
                throw new CompletionException(startRefused(request.model(), error));
              }
              return new ChatAnswers.Begun(sessionId, 1, live.follow(journaled, 1));
            }));
  }

  /**
   * The conversation's next turn: the feed is joined and the session's state and last event read
   * before the message is sent, so the turn is followed from its start.
   */
  private CompletionStage<ChatAnswers.Begun> next(String sessionId, ChatRequest request, Principal caller) {
    return events.join(sessionId).thenCompose(live -> sessions.beforeMessage(sessionId, caller)
        .thenCompose(before -> {
          notReady(sessionId, before.view()).ifPresent(refusal -> {
            throw new ChatAnswers.Answer(refusal);
          });
          return sessions.message(sessionId, request.input(), null, caller)
              .thenApply(changed -> new ChatAnswers.Begun(sessionId, changed.turn(), live.follow(before.lastSeqNr() + 1)));
        })
        .handle((begun, error) -> {
          if (error != null) {
            live.leave();
            Throwable cause = unwrap(error);
            throw new CompletionException(cause instanceof Refused r && r.reason() == Refused.Reason.NOT_FOUND
                ? new ChatAnswers.Answer(OpenAiErrors.response(404, r.getMessage(), null, "session_not_found")) : cause);
          }
          return begun;
        }));
  }

  /** Why the session cannot take a message now (409), or empty when it waits for one. */
  private static Optional<HttpResponse> notReady(String sessionId, SessionView view) {
    if (!view.conversational()) {
      return Optional.of(conflict("session " + sessionId + " is not a conversation: agent " + view.agentName()
          + " is not defined with \"conversational\": true, so its session ends with its answer; send the request"
          + " without " + SESSION_HEADER + " to start a new session", "not_conversational", false));
    }
    String status = view.status();
    if (status.equals("RUNNING") || status.equals("AWAITING_APPROVAL")) {
      // A lock, in OpenAI's terms: the client may retry once the turn has ended.
      return Optional.of(conflict("session " + sessionId + " is still running a turn (status " + status
          + "); send the next message when it has answered", "turn_in_progress", true));
    }
    if (!status.equals("WAITING_FOR_INPUT")) {
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
      return new ChatAnswers.Answer(OpenAiErrors.modelNotFound("the model '" + model + "' does not exist: " + r.getMessage()));
    }
    return cause;
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
