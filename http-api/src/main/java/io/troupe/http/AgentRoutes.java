package io.troupe.http;

import io.troupe.runtime.service.RetryingAsk;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.agent.Sessions;
import io.troupe.runtime.agent.SessionView;
import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.db.JournalIds;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/** Agents over HTTP: define, read, list, retire, and start and list their sessions. */
public final class AgentRoutes extends EdgeDirectives {

  record AgentsPage(List<Agent.AgentView> agents, String next) {}

  record SessionsPage(String agentName, List<SessionView> sessions) {}

  record StartedView(String sessionId) {}

  private final ClusterSharding sharding;
  private final Sessions sessions;
  private final JournalIds journalIds;
  private final io.troupe.runtime.tool.ToolRegistry tools;
  private final Set<String> providers;
  private final Duration askTimeout;
  private final RetryingAsk asks;
  private final int defaultLimit;
  private final int maxLimit;

  public AgentRoutes(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    var config = node.system().settings().config();
    this.sharding = ClusterSharding.get(node.system());
    this.sessions = Sessions.get(node.system());
    this.journalIds = node.journalIds();
    this.tools = node.tools();
    this.providers = node.providerNames();
    this.askTimeout = config.getDuration("troupe.http.ask-timeout");
    this.asks = new RetryingAsk(askTimeout, config.getInt("troupe.http.ask-attempts"));
    this.defaultLimit = config.getInt("troupe.sessions.default-list-limit");
    this.maxLimit = config.getInt("troupe.sessions.max-list-limit");
  }

  public Route route() {
    return pathPrefix("agents", () -> concat(
        pathEnd(() -> template("/api/v1/agents", () -> get(this::list))),
        pathPrefix(segment(), name -> concat(
            pathEnd(() -> template("/api/v1/agents/{name}", () -> valid(name, () -> concat(
                put(() -> define(name)),
                get(() -> lookup(name)),
                delete(() -> retire(name)))))),
            path("sessions", () -> template("/api/v1/agents/{name}/sessions", () -> valid(name, () -> concat(
                post(() -> startSession(name)),
                get(() -> sessions(name))))))))));
  }

  private Route valid(String name, Supplier<Route> inner) {
    return TopicNames.problem(name).map(p -> problem(Problem.invalid("name", p))).orElseGet(inner);
  }

  private CompletionStage<Agent.AgentLookup> get(String name) {
    return asks.ask(sharding.entityRefFor(Agent.ENTITY_KEY, name), Agent.Get::new);
  }

  /** PUT: 201 when the agent is new, 200 when its definition was replaced. */
  private Route define(String name) {
    return jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      AgentDefinition definition = AgentBodies.definition(body, tools.names(), providers, errors);
      if (definition == null) {
        return problem(errors.problem());
      }
      return respond(sharding.entityRefFor(Agent.ENTITY_KEY, name)
          .<Agent.AgentView>askWithStatus(replyTo -> new Agent.Define(definition, replyTo), askTimeout)
          .thenApply(view -> Json.response(view.version() == 1 ? StatusCodes.CREATED : StatusCodes.OK, view)));
    });
  }

  private Route lookup(String name) {
    return respond(get(name).thenApply(l -> l.agent() == null
        ? notFound(name).toResponse()
        : Json.response(StatusCodes.OK, l.agent())));
  }

  private Route retire(String name) {
    return respond(get(name).thenCompose(l -> l.agent() == null
        ? CompletableFuture.completedFuture(notFound(name).toResponse())
        : sharding.entityRefFor(Agent.ENTITY_KEY, name)
            .<Agent.AgentView>askWithStatus(Agent.Retire::new, askTimeout)
            .thenApply(view -> Json.response(StatusCodes.OK, view))));
  }

  /** GET /api/v1/agents?after=&limit=: agents in name order. */
  private Route list() {
    return parameterOptional("after", after -> parameterOptional("limit", limit -> {
      FieldErrors errors = new FieldErrors();
      long pageSize = errors.queryLong(limit, "limit", defaultLimit, 1, maxLimit);
      after.flatMap(TopicNames::problem).ifPresent(p -> errors.add("after", p));
      if (errors.any()) {
        return problem(errors.problem());
      }
      CompletionStage<List<JournalIds.Entry>> ids = journalIds.after(Agent.ENTITY_KEY.name() + "|", after.orElse(""),
          (int) pageSize + 1);
      return respond(ids.thenCompose(entries -> {
        boolean more = entries.size() > pageSize;
        List<JournalIds.Entry> page = more ? entries.subList(0, (int) pageSize) : entries;
        List<CompletableFuture<Agent.AgentLookup>> lookups = page.stream()
            .map(e -> get(e.id()).toCompletableFuture()).toList();
        return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenApply(d -> Json.response(
            StatusCodes.OK, new AgentsPage(lookups.stream().map(f -> f.join().agent()).toList(),
                more ? page.get(page.size() - 1).id() : null)));
      }));
    }));
  }

  /** POST: 202 with the new session's id at once; the session runs on its own. */
  private Route startSession(String name) {
    return principal(caller -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      AgentBodies.SessionRequest request = AgentBodies.sessionRequest(body, errors);
      if (request == null) {
        return problem(errors.problem());
      }
      // Who owns and pays (only an administrator may name another user) is the service's decision.
      return respond(sessions.start(name, request.input(), new Sessions.Origin.Caller(caller, request.userId()))
          .thenApply(started -> Json.response(StatusCodes.ACCEPTED, new StartedView(started.sessionId()))
              .addHeader(Location.create("/api/v1/sessions/" + started.sessionId()))));
    }));
  }

  /** GET: the agent's most recent sessions, newest first. */
  private Route sessions(String name) {
    return parameterOptional("limit", limit -> {
      FieldErrors errors = new FieldErrors();
      long pageSize = errors.queryLong(limit, "limit", defaultLimit, 1, maxLimit);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(journalIds.newestFirst(Session.ENTITY_KEY.name() + "|" + name + "~", (int) pageSize)
          .thenCompose(entries -> {
            List<CompletableFuture<SessionView>> views = entries.stream()
                .map(e -> sharding.entityRefFor(Session.ENTITY_KEY, name + "~" + e.id()).ask(Session.Get::new, askTimeout)
                    .toCompletableFuture())
                .toList();
            return CompletableFuture.allOf(views.toArray(CompletableFuture[]::new)).thenApply(d -> Json.response(
                StatusCodes.OK, new SessionsPage(name, views.stream().map(CompletableFuture::join).toList())));
          }));
    });
  }

  private static Problem notFound(String name) {
    return Problem.of(StatusCodes.NOT_FOUND, "no agent named " + name + " is defined");
  }

}
