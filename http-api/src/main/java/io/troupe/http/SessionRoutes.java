package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.agent.Sessions;
import io.troupe.runtime.agent.SessionIds;
import io.troupe.runtime.agent.SessionView;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/** Sessions over HTTP: the list, status, cancel, and their events as Server-Sent Events. */
public final class SessionRoutes extends EdgeDirectives {

  private final Sessions sessions;
  private final SessionLists lists;
  private final SessionEvents events;
  private final Duration keepAlive;
  private final int defaultToolCalls;
  private final int maxToolCalls;

  public SessionRoutes(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    var broker = io.troupe.runtime.node.RuntimeSettings.get(node.system()).broker();
    this.sessions = Sessions.get(node.system());
    this.lists = new SessionLists(node, maxBodyBytes);
    this.events = new SessionEvents(node);
    this.keepAlive = broker.streamKeepAlive();
    var settings = io.troupe.runtime.node.RuntimeSettings.get(node.system()).sessions();
    this.defaultToolCalls = settings.defaultListLimit();
    this.maxToolCalls = settings.maxListLimit();
  }

  public Route route() {
    return pathPrefix("sessions", () -> concat(
        pathEnd(() -> template("/api/v1/sessions", () -> get(lists::all))),
        pathPrefix(segment(), id -> concat(
        pathEnd(() -> template("/api/v1/sessions/{id}", () -> get(() -> known(id, () -> principal(caller -> status(id, caller)))))),
        path("cancel", () -> template("/api/v1/sessions/{id}/cancel", () -> post(() -> known(id, () -> cancel(id))))),
        path("close", () -> template("/api/v1/sessions/{id}/close", () -> post(() -> known(id, () -> close(id))))),
        path("messages", () -> template("/api/v1/sessions/{id}/messages", () -> known(id, () -> concat(
            post(() -> message(id)),
            get(() -> conversation(id)))))),
        path(segment("approvals").slash(segment()), callId -> template("/api/v1/sessions/{id}/approvals/{callId}",
            () -> post(() -> known(id, () -> decide(id, callId))))),
        path("events", () -> template("/api/v1/sessions/{id}/events", () -> get(() -> known(id, () -> principal(caller ->
            stream(id, caller))))))))));
  }

  /**
   * GET /api/v1/approvals?agent=&session=&after=&limit=: the tool calls waiting for a decision the
   * caller may make (its own sessions'; an administrator's: everyone's), in session id order;
   * {@code next} is the {@code after} of the next page (null on the last).
   */
  public Route approvalsRoute() {
    return path("approvals", () -> template("/api/v1/approvals", () -> get(() -> principal(caller ->
        parameterOptional("agent", agent -> parameterOptional("session", session -> parameterOptional("after", after ->
            parameterOptional("limit", limit -> {
              FieldErrors errors = new FieldErrors();
              long pageSize = errors.queryLong(limit, "limit", defaultToolCalls, 1, maxToolCalls);
              agent.filter(a -> a.length() > 255).ifPresent(a -> errors.add("agent", "must be at most 255 characters"));
              session.filter(x -> !SessionIds.valid(x)).ifPresent(x -> errors.add("session", "is not a session id"));
              after.filter(x -> x.length() > 255).ifPresent(x -> errors.add("after", "must be at most 255 characters"));
              if (errors.any()) {
                return problem(errors.problem());
              }
              return respond(sessions.pendingApprovals(caller, agent.orElse(null), session.orElse(null),
                  after.orElse(null), (int) pageSize + 1).thenApply(found -> {
                    boolean more = found.size() > pageSize;
                    var page = more ? found.subList(0, (int) pageSize) : found;
                    return Json.response(StatusCodes.OK, new ApprovalsPage(page,
                        more ? page.get(page.size() - 1).sessionId() : null));
                  }));
            }))))))));
  }

  record ApprovalsPage(java.util.List<io.troupe.runtime.readside.SessionQueries.PendingApproval> approvals, String next) {}

  /** A malformed id is not a session: 404 without waking an entity. */
  private Route known(String id, Supplier<Route> inner) {
    return SessionIds.valid(id) ? inner.get() : problem(notFound(id));
  }

  /**
   * The session's figures and one page of its tool calls: {@code toolCallsFrom} (index, default 0)
   * and {@code toolCallsLimit} (default and maximum: the list page sizes), so that a session of
   * many calls is read page by page and no answer is large.
   */
  private Route status(String id, io.troupe.runtime.governance.Principal caller) {
    return parameterOptional("toolCallsFrom", from -> parameterOptional("toolCallsLimit", limit -> {
      FieldErrors errors = new FieldErrors();
      long start = errors.queryLong(from, "toolCallsFrom", 0, 0, Integer.MAX_VALUE);
      long pageSize = errors.queryLong(limit, "toolCallsLimit", defaultToolCalls, 1, maxToolCalls);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(sessions.view(id, (int) start, (int) pageSize, caller).thenApply(v -> Json.response(StatusCodes.OK, v)));
    }));
  }

  /**
   * POST {"input"}: 202 with the turn the message starts (or, while a turn runs, will start:
   * {@code queued} true). An {@code Idempotency-Key} header makes a retried message count once.
   */
  private Route message(String id) {
    return optionalHeaderValueByName("Idempotency-Key", key -> principal(caller -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      String input = AgentBodies.messageInput(body, errors);
      if (key.isPresent() && (key.get().isBlank() || key.get().length() > 200)) {
        errors.add("Idempotency-Key", "must be 1 to 200 characters");
      }
      if (errors.any()) {
        return problem(errors.problem());
      }
      String messageId = key.map(k -> caller.userId() + "/" + k).orElse(null);
      return respond(sessions.message(id, input, messageId, caller).thenApply(changed -> Json.response(
          StatusCodes.ACCEPTED, new MessageAccepted(id, changed.turn(), changed.queued(), changed.view().status()))));
    })));
  }

  /** What a message answers: the turn it starts or waits for, and the session's status after it. */
  record MessageAccepted(String sessionId, int turn, boolean queued, String status) {}

  /** GET ?from=&limit=: the conversation as messages (role, content, tool calls, tool results), paged. */
  private Route conversation(String id) {
    return principal(caller -> parameterOptional("from", from -> parameterOptional("limit", limit -> {
      FieldErrors errors = new FieldErrors();
      long start = errors.queryLong(from, "from", 0, 0, Integer.MAX_VALUE);
      long pageSize = errors.queryLong(limit, "limit", defaultToolCalls, 1, maxToolCalls);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(sessions.conversation(id, (int) start, (int) pageSize, caller)
          .thenApply(page -> Json.response(StatusCodes.OK, page)));
    })));
  }

  private Route close(String id) {
    return principal(caller -> respond(sessions.close(id, caller).thenApply(after -> Json.response(StatusCodes.OK, after))));
  }

  /** POST {"approve", "comment"?}: the session after the decision; 409 when the call was decided already. */
  private Route decide(String id, String callId) {
    return principal(caller -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      ApprovalBody decision = ApprovalBody.read(body, "run the tool call", errors);
      if (callId.length() > 200) {
        errors.add("callId", "must be at most 200 characters");
      }
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(sessions.decide(id, callId, decision.approve(), decision.comment(), caller)
          .thenApply(after -> Json.response(StatusCodes.OK, after)));
    }));
  }

  private Route cancel(String id) {
    return principal(caller -> respond(sessions.cancel(id, caller).thenApply(after -> Json.response(StatusCodes.OK, after))));
  }

  /**
   * SSE: the stored events from {@code from} (default 1) or after {@code Last-Event-ID}, then
   * live ones, ending after {@code done} or {@code error}. Event ids are the session's event
   * sequence numbers; {@code token} events (streamed text) are live only and carry no id.
   */
  private Route stream(String id, io.troupe.runtime.governance.Principal caller) {
    return optionalHeaderValueByName("Last-Event-ID", lastEventId -> parameterOptional("from", from -> {
      FieldErrors errors = new FieldErrors();
      long start = lastEventId.isPresent()
          ? errors.queryLong(lastEventId, "Last-Event-ID", 0, 0, Long.MAX_VALUE - 1) + 1
          : errors.queryLong(from, "from", 1, 1, Long.MAX_VALUE);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return onComplete(events.open(id, start, caller), opened -> {
        if (opened.isFailure()) {
          return complete(ProblemHandlers.toResponse(opened.failed().get()));
        }
        // Session streams share the node's stream slots with topic streams.
        return streamSlot(release -> completeOK(opened.get()
            .keepAlive(keepAlive, org.apache.pekko.http.javadsl.model.sse.ServerSentEvent::heartbeat)
            .watchTermination((mat, done) -> {
              done.whenComplete((d, e) -> release.run());
              return mat;
            }), EventStreamMarshalling.toEventStream()));
      });
    }));
  }

  private static Problem notFound(String id) {
    return Problem.of(StatusCodes.NOT_FOUND, "no session " + id + " is known");
  }
}
