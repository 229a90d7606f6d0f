package io.troupe.http;

import io.troupe.runtime.agent.Ownership;
import io.troupe.runtime.agent.SessionState;
import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.node.TroupeNode;
import io.troupe.runtime.readside.Cursor;
import io.troupe.runtime.readside.SessionQueries;
import io.troupe.runtime.service.Refused;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Session lists over HTTP, from the {@code agent_session} read table: the query parameters every
 * list takes ({@code status}, {@code agent}, {@code user}, {@code since}, the cursor {@code after}
 * and {@code limit}), checked once here for {@code GET /api/v1/sessions} and an agent's sessions.
 * A list holds only the sessions its caller may read ({@link Ownership#sessionListOwner}).
 */
final class SessionLists extends EdgeDirectives {

  /** GET /api/v1/sessions: sessions newest first, and the cursor of the next page (null on the last). */
  record SessionsPage(java.util.List<SessionQueries.SessionSummary> sessions, String next) {}

  private final SessionQueries queries;
  private final int defaultLimit;
  private final int maxLimit;

  SessionLists(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    var settings = io.troupe.runtime.node.RuntimeSettings.get(node.system()).sessions();
    this.queries = new SessionQueries(node.database(), io.troupe.runtime.node.NodeClock.get(node.system()).clock());
    this.defaultLimit = settings.defaultListLimit();
    this.maxLimit = settings.maxListLimit();
  }

  /** All sessions, filtered by the request's parameters. */
  Route all() {
    return route(new SessionQueries.SessionFilter(null, null, null, null), p -> new SessionsPage(p.sessions(), p.next()));
  }

  /**
   * Sessions matching {@code fixed} and the request's parameters (a parameter does not widen a
   * field {@code fixed} sets), answered as {@code answer} shapes the page.
   */
  Route route(SessionQueries.SessionFilter fixed, Function<SessionQueries.SessionPage, Object> answer) {
    return principal(caller -> route(caller, fixed, answer));
  }

  private Route route(Principal caller, SessionQueries.SessionFilter fixed,
                      Function<SessionQueries.SessionPage, Object> answer) {
    return parameterOptional("status", status -> parameterOptional("agent", agent -> parameterOptional("user", user ->
        parameterOptional("since", since -> parameterOptional("after", after -> parameterOptional("limit", limit -> {
          FieldErrors errors = new FieldErrors();
          long pageSize = errors.queryLong(limit, "limit", defaultLimit, 1, maxLimit);
          status.filter(s -> Arrays.stream(SessionState.Status.values())
                  .noneMatch(x -> x != SessionState.Status.NEW && x.name().equals(s)))
              .ifPresent(s -> errors.add("status", "must be one of RUNNING, COMPLETED, ERROR, TIMEOUT, CANCELLED"));
          agent.flatMap(TopicNames::problem).ifPresent(p -> errors.add("agent", p));
          user.filter(u -> u.isEmpty() || u.length() > 255).ifPresent(u -> errors.add("user", "must be 1 to 255 characters"));
          Instant from = null;
          if (since.isPresent()) {
            try {
              from = Instant.parse(since.get());
            } catch (DateTimeParseException e) {
              errors.add("since", "must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z");
            }
          }
          Cursor cursor = null;
          if (after.isPresent()) {
            cursor = Cursor.decode(after.get()).orElse(null);
            if (cursor == null) {
              errors.add("after", "is not a cursor this API handed out (use the previous page's next)");
            }
          }
          if (errors.any()) {
            return problem(errors.problem());
          }
          String owner;
          try {
            // Only sessions the caller may read: its own, unless it reads everyone's.
            owner = Ownership.sessionListOwner(caller, fixed.user() != null ? fixed.user() : user.orElse(null));
          } catch (Refused refused) {
            return complete(ProblemHandlers.toResponse(refused));
          }
          var filter = new SessionQueries.SessionFilter(
              fixed.status() != null ? fixed.status() : status.orElse(null),
              fixed.agent() != null ? fixed.agent() : agent.orElse(null),
              owner,
              fixed.since() != null ? fixed.since() : from);
          return respond(queries.list(filter, cursor, (int) pageSize)
              .thenApply(page -> Json.response(StatusCodes.OK, answer.apply(page))));
        }))))));
  }
}
