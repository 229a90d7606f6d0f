package io.troupe.runtime.agent;

import io.troupe.runtime.service.Refused;
import io.troupe.runtime.service.RetryingAsk;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The one way into agent definitions, for every door: define, read, retire. Lists come from the
 * {@code agent} read table ({@link io.troupe.runtime.readside.AgentQueries}), not from here.
 */
public final class Agents implements Extension {

  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final java.time.Duration askTimeout;

  public static Agents get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Agents(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    var ask = io.troupe.runtime.node.RuntimeSettings.get(system).ask();
    this.asks = ask.retrying();
    this.askTimeout = ask.timeout();
  }

  /**
   * Defines the agent or replaces its definition (version 1 when it is new). Asked once: every
   * Define is a new version, so a repeat after a late answer would journal the definition twice.
   */
  public CompletionStage<Agent.AgentView> define(String name, AgentDefinition definition) {
    return agent(name).askWithStatus(replyTo -> new Agent.Define(definition, replyTo), askTimeout);
  }

  /** The agent, or a not-found refusal. */
  public CompletionStage<Agent.AgentView> get(String name) {
    return asks.<Agent.Command, Agent.AgentLookup>ask(agent(name), Agent.Get::new).thenApply(lookup -> {
      if (lookup.agent() == null) {
        throw notFound(name);
      }
      return lookup.agent();
    });
  }

  /** Retires a defined agent (again: no change); an unknown one is refused. */
  public CompletionStage<Agent.AgentView> retire(String name) {
    return get(name).thenCompose(known -> asks.<Agent.Command, Agent.AgentView>askWithStatus(agent(name), Agent.Retire::new));
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
