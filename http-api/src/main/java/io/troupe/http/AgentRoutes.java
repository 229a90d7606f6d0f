package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Agents;
import io.troupe.runtime.agent.Ownership;
import io.troupe.runtime.agent.Sessions;
import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.readside.AgentQueries;
import io.troupe.runtime.readside.SessionQueries;
import io.troupe.runtime.node.TroupeNode;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/** Agents over HTTP: define, read, list, retire, and start and list their sessions. */
public final class AgentRoutes extends EdgeDirectives {

  record AgentsPage(List<Agent.AgentView> agents, String next) {}

  record SessionsPage(String agentName, List<SessionQueries.SessionSummary> sessions, String next) {}

  record StartedView(String sessionId) {}

  private final Sessions sessions;
  private final Agents agents;
  private final AgentQueries agentList;
  private final SessionLists sessionList;
  private final io.troupe.runtime.tool.ToolRegistry tools;
  private final Set<String> providers;
  private final int defaultLimit;
  private final int maxLimit;

  public AgentRoutes(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    var settings = io.troupe.runtime.node.RuntimeSettings.get(node.system()).sessions();
    this.sessions = Sessions.get(node.system());
    this.agents = Agents.get(node.system());
    this.agentList = new AgentQueries(node.database());
    this.sessionList = new SessionLists(node, maxBodyBytes);
    this.tools = node.tools();
    this.providers = node.providerNames();
    this.defaultLimit = settings.defaultListLimit();
    this.maxLimit = settings.maxListLimit();
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

  /** PUT: 201 when the agent is new (the caller owns it), 200 when its definition was replaced. */
  private Route define(String name) {
    return principal(caller -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      AgentDefinition definition = AgentBodies.definition(body, tools.names(), providers, errors);
      boolean shared = AgentBodies.shared(body, errors);
      if (definition == null || errors.any()) {
        return problem(errors.problem());
      }
      return respond(agents.define(name, definition, shared, caller)
          .thenApply(view -> Json.response(view.version() == 1 ? StatusCodes.CREATED : StatusCodes.OK, view)));
    }));
  }

  private Route lookup(String name) {
    return principal(caller -> respond(agents.get(name, caller).thenApply(agent -> Json.response(StatusCodes.OK, agent))));
  }

  private Route retire(String name) {
    return principal(caller -> respond(agents.retire(name, caller).thenApply(view -> Json.response(StatusCodes.OK, view))));
  }

  /** GET /api/v1/agents?after=&limit=: agents in name order, from the agent read table. */
  private Route list() {
    return parameterOptional("after", after -> parameterOptional("limit", limit -> {
      FieldErrors errors = new FieldErrors();
      long pageSize = errors.queryLong(limit, "limit", defaultLimit, 1, maxLimit);
      after.flatMap(TopicNames::problem).ifPresent(p -> errors.add("after", p));
      if (errors.any()) {
        return problem(errors.problem());
      }
      return principal(caller -> respond(agentList.list(after.orElse(""), (int) pageSize + 1).thenApply(found -> {
        boolean more = found.size() > pageSize;
        List<Agent.AgentView> page = (more ? found.subList(0, (int) pageSize) : found).stream()
            .map(agent -> Ownership.visibleTo(agent, caller)).toList();
        return Json.response(StatusCodes.OK, new AgentsPage(page, more ? page.get(page.size() - 1).name() : null));
      })));
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

  /** GET ?after=&limit=: the agent's sessions the caller may read, newest first, from the agent_session read table. */
  private Route sessions(String name) {
    return sessionList.route(new SessionQueries.SessionFilter(null, name, null, null),
        page -> new SessionsPage(name, page.sessions(), page.next()));
  }


}
