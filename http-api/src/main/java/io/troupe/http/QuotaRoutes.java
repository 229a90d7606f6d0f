package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.governance.quota.Quotas;
import io.troupe.runtime.governance.quota.UserQuotas;
import io.troupe.runtime.governance.security.Users;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/security/users/{id}/quotas}: a user's quotas (ADMIN). GET shows the quotas in
 * force, which of them the user has of their own, the defaults, and the current use where it is
 * cheap to know; PUT sets the user's own (a field absent or null: the default).
 */
final class QuotaRoutes extends EdgeDirectives {

  /** The quotas; in requests, each absent or null means "the default". */
  record QuotaValues(Integer agents, Integer concurrentSessions, Integer sseStreams, Integer topics) {
    static QuotaValues of(Quotas.Limits l) {
      return new QuotaValues(l.agents(), l.concurrentSessions(), l.sseStreams(), l.topics());
    }

    static QuotaValues of(UserQuotas q) {
      return new QuotaValues(q.agents(), q.concurrentSessions(), q.sseStreams(), q.topics());
    }
  }

  /**
   * {@code quotas}: in force; {@code own}: set for this user (null: default); {@code use}: agents
   * owned (from the read table), sessions running (cluster-wide), SSE streams open on the
   * answering node, topics created.
   */
  record QuotasView(String userId, QuotaValues quotas, QuotaValues own, QuotaValues defaults, QuotaValues use) {}

  private static final List<String> FIELDS = List.of(Quotas.AGENTS, Quotas.CONCURRENT_SESSIONS, Quotas.SSE_STREAMS,
      Quotas.TOPICS);
  /** No quota is meant to be higher; a larger number is a typo. */
  private static final long MAX_QUOTA = 1_000_000;

  private final Users users;
  private final Quotas quotas;
  private final StreamSlots streams;

  QuotaRoutes(Users users, Quotas quotas, StreamSlots streams, long maxBodyBytes) {
    super(maxBodyBytes);
    this.users = users;
    this.quotas = quotas;
    this.streams = streams;
  }

  Route route(String id) {
    return template("/api/v1/security/users/{id}/quotas", () -> concat(get(() -> show(id)), put(() -> set(id))));
  }

  private Route show(String id) {
    return respond(users.get(id).thenCompose(this::view).thenApply(v -> Json.response(StatusCodes.OK, v)));
  }

  private CompletionStage<QuotasView> view(io.troupe.runtime.governance.security.ApiUser.UserView user) {
    UserQuotas own = user.quotas() == null ? UserQuotas.DEFAULTS : user.quotas();
    Quotas.Limits defaults = quotas.settings().defaults();
    return quotas.runningSessions(user.id()).thenCombine(quotas.agentsOwned(user.id()), (running, agents) ->
        new QuotasView(user.id(), QuotaValues.of(own.over(defaults)), QuotaValues.of(own), QuotaValues.of(defaults),
            new QuotaValues(agents, running, streams.openBy(user.id()), user.topicsCreated())));
  }

  private Route set(String id) {
    return jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!FIELDS.contains(name)) {
          errors.add(name, "is not a quota; quotas: " + String.join(", ", FIELDS));
        }
      }
      UserQuotas wanted = new UserQuotas(quota(body, Quotas.AGENTS, errors),
          quota(body, Quotas.CONCURRENT_SESSIONS, errors), quota(body, Quotas.SSE_STREAMS, errors),
          quota(body, Quotas.TOPICS, errors));
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(users.setQuotas(id, wanted).thenCompose(this::view).thenApply(v -> Json.response(StatusCodes.OK, v)));
    });
  }

  /** A quota's value: absent or null, the default (null); else a whole number from 1 to 1,000,000. */
  private static Integer quota(JsonNode body, String field, FieldErrors errors) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    return (int) errors.requiredLong(body, field, 1, MAX_QUOTA);
  }
}
