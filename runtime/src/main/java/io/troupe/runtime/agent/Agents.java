package io.troupe.runtime.agent;

import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.service.Refused;
import io.troupe.runtime.service.RetryingAsk;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The one way into agent definitions, for every door: define, read, retire, each as a caller
 * whose rights {@link Ownership} states. Lists come from the {@code agent} read table
 * ({@link io.troupe.runtime.readside.AgentQueries}), shown through {@link Ownership#visibleTo}.
 */
public final class Agents implements Extension {

  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final java.time.Duration askTimeout;
  private final ActorSystem<?> system;

  public static Agents get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Agents(ActorSystem<?> system) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    var ask = io.troupe.runtime.node.RuntimeSettings.get(system).ask();
    this.asks = ask.retrying();
    this.askTimeout = ask.timeout();
  }

  /**
   * Defines the agent, owned by {@code caller}, or replaces its definition (version 1 when it is
   * new) when the caller owns it or is an administrator; otherwise refused (403). A new agent is
   * refused (403) when the caller's {@code agents} quota is taken. Asked once:
   * every Define is a new version, so a repeat after a late answer would journal it twice.
   */
  public CompletionStage<Agent.AgentView> define(String name, AgentDefinition definition, boolean shared,
                                                 Principal caller) {
    // A new agent (or a retired one defined again) counts against the caller's agents quota.
    return asks.<Agent.Command, Agent.AgentLookup>ask(agent(name), Agent.Get::new)
        .thenCompose(lookup -> lookup.agent() == null || lookup.agent().status() == Agent.Status.RETIRED
            ? io.troupe.runtime.governance.quota.Quotas.get(system).roomForAgent(caller.userId())
            : java.util.concurrent.CompletableFuture.<Void>completedFuture(null))
        .thenCompose(room -> refusedAsForbidden(agent(name).askWithStatus(
            replyTo -> new Agent.Define(definition, shared, caller.userId(), caller.isAdmin(), replyTo), askTimeout)));
  }

  /** The runtime's own definition (built-in agents): the administrator's, and shared. */
  public CompletionStage<Agent.AgentView> define(String name, AgentDefinition definition) {
    return agent(name).askWithStatus(replyTo -> new Agent.Define(definition, replyTo), askTimeout);
  }

  /** The agent as {@code caller} may see it (see {@link Ownership#visibleTo}), or a not-found refusal. */
  public CompletionStage<Agent.AgentView> get(String name, Principal caller) {
    return get(name).thenApply(agent -> Ownership.visibleTo(agent, caller));
  }

  /** The whole agent, for the runtime itself; doors read it through {@link #get(String, Principal)}. */
  public CompletionStage<Agent.AgentView> get(String name) {
    return asks.<Agent.Command, Agent.AgentLookup>ask(agent(name), Agent.Get::new).thenApply(lookup -> {
      if (lookup.agent() == null) {
        throw notFound(name);
      }
      return lookup.agent();
    });
  }

  /**
   * Retires a defined agent (again: no change) when {@code caller} owns it or is an
   * administrator; an unknown one is refused (404), another's too (403).
   */
  public CompletionStage<Agent.AgentView> retire(String name, Principal caller) {
    return get(name).thenCompose(known -> refusedAsForbidden(asks.<Agent.Command, Agent.AgentView>askWithStatus(agent(name),
        replyTo -> new Agent.Retire(caller.userId(), caller.isAdmin(), replyTo))));
  }

  /**
   * The entity's only "no" to a Define, and to a Retire of an agent known to exist, is that the
   * caller does not own it: a 403, not the 400 an unexplained error reply would be.
   */
  private static CompletionStage<Agent.AgentView> refusedAsForbidden(CompletionStage<Agent.AgentView> asked) {
    return asked.handle((view, failure) -> {
      Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof org.apache.pekko.pattern.StatusReply.ErrorMessage refusal) {
        throw Refused.forbidden(refusal.getMessage());
      }
      if (failure != null) {
        throw failure instanceof java.util.concurrent.CompletionException c ? c
            : new java.util.concurrent.CompletionException(failure);
      }
      return view;
    });
  }

  static Refused notFound(String name) {
    return Refused.notFound("no agent named " + name + " is defined");
  }

  private EntityRef<Agent.Command> agent(String name) {
    return sharding.entityRefFor(Agent.ENTITY_KEY, name);
  }

  /** Extension id: one service per ActorSystem. */
  public static final class Id extends ExtensionId<Agents> {
    private static final Id INSTANCE = new Id();

    @Override
    public Agents createExtension(ActorSystem<?> system) {
      return new Agents(system);
    }
  }
}
