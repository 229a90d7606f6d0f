package io.troupe.runtime.agent;

import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.service.Refused;

/**
 * Who may do what with an agent or a session, stated once for every door (the route table only
 * says which roles may use a route at all; this says which objects). Refusals are 403s, not 404s:
 * agent names are one namespace every user sees, and a session id names its agent, so hiding
 * that an object exists would hide nothing.
 *
 * <ul>
 *   <li>An agent belongs to its owner. The owner and administrators may redefine and retire it,
 *       run it, and read its whole definition; a <em>shared</em> agent may be run, and its whole
 *       definition read, by everyone. Others see that it exists and what it runs on, without its
 *       {@code systemPrompt} and {@code script}.</li>
 *   <li>A session belongs to its owner. The owner and administrators may read and cancel it;
 *       READONLY keys observe the whole organisation, so they read every session (and change
 *       none); another user may do neither.</li>
 * </ul>
 */
public final class Ownership {

  private Ownership() {}

  /** Whether {@code caller} may start sessions of the agent and read its whole definition. */
  public static boolean mayRun(Agent.AgentView agent, Principal caller) {
    return agent.shared() || caller.isAdmin() || agent.owner().equals(caller.userId());
  }

  /** The agent as {@code caller} may see it: without its prompt and script unless it may run it. */
  public static Agent.AgentView visibleTo(Agent.AgentView agent, Principal caller) {
    if (mayRun(agent, caller)) {
      return agent;
    }
    AgentDefinition d = agent.definition();
    AgentDefinition withoutPrompt = new AgentDefinition(d.role(), null, d.provider(), d.model(), d.temperature(),
        d.maxIterations(), d.toolTimeoutSeconds(), d.tools(), d.subscriptions(), null, d.conversational(),
        d.approvalRequired(), d.approvalTimeoutSeconds(), d.contextWindowTokens());
    return new Agent.AgentView(agent.name(), agent.status(), agent.version(), withoutPrompt, agent.definedAt(),
        agent.updatedAt(), agent.owner(), agent.shared());
  }

  static Refused mayNotRun(String agentName) {
    return Refused.forbidden("agent " + agentName + " is private to its owner; only its owner or an administrator"
        + " may run it, or anyone once it is defined with \"shared\": true");
  }

  /** Refuses unless {@code caller} may read the session owned by {@code owner}. */
  static void checkRead(String sessionId, String owner, Principal caller) {
    if (!(caller.isAdmin() || caller.role() == Role.READONLY || caller.userId().equals(owner))) {
      throw Refused.forbidden("session " + sessionId + " belongs to another user; only its owner, an administrator"
          + " or a read-only observer may read it");
    }
  }

  /** Refuses unless {@code caller} may change (cancel) the session owned by {@code owner}. */
  static void checkChange(String sessionId, String owner, Principal caller) {
    if (!(caller.isAdmin() || caller.userId().equals(owner)) || caller.role() == Role.READONLY) {
      throw Refused.forbidden("session " + sessionId + " belongs to another user; only its owner or an administrator"
          + " may change it");
    }
  }

  /**
   * Refuses unless {@code caller} may decide the approvals of the session owned by {@code owner}:
   * its owner or an administrator (the route already needs approvals:decide, which READONLY lacks).
   */
  static void checkDecide(String sessionId, String owner, Principal caller) {
    if (!(caller.isAdmin() || caller.userId().equals(owner)) || caller.role() == Role.READONLY) {
      throw Refused.forbidden("session " + sessionId + " belongs to another user; only its owner or an administrator"
          + " may decide its approvals");
    }
  }

  /**
   * The owner a session list of {@code caller} is limited to: {@code requested} (null: anyone)
   * for administrators and read-only observers, the caller's own id for everyone else, who may
   * not ask for another user's sessions.
   */
  public static String sessionListOwner(Principal caller, String requested) {
    if (caller.isAdmin() || caller.role() == Role.READONLY) {
      return requested;
    }
    if (requested != null && !requested.equals(caller.userId())) {
      throw Refused.forbidden("user: a USER lists only its own sessions; leave user out or give your own id");
    }
    return caller.userId();
  }
}
