package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * An agent: a named, versioned definition, one sharded entity per name. Defining it again
 * replaces the definition (a new version); retiring it stops new sessions.
 */
public final class Agent extends EventSourcedBehaviorWithEnforcedReplies<Agent.Command, Agent.Event, Agent.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Agent");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())));
  }

  public static Behavior<Command> create(String name) {
    return new Agent(name);
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /** Defines the agent, or replaces its definition (also un-retiring it). */
  public record Define(AgentDefinition definition, ActorRef<StatusReply<AgentView>> replyTo) implements Command {}

  /** Replies with the agent, or a lookup holding null when it was never defined. */
  public record Get(ActorRef<AgentLookup> replyTo) implements Command {}

  /** Retires the agent: no new sessions; running ones finish. */
  public record Retire(ActorRef<StatusReply<AgentView>> replyTo) implements Command {}

  public enum Status { ACTIVE, RETIRED }

  public record AgentView(String name, Status status, int version, AgentDefinition definition, Instant definedAt,
                          Instant updatedAt) implements CborSerializable {}

  public record AgentLookup(AgentView agent) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record AgentDefined(AgentDefinition definition, Instant at) implements Event {}

  public record AgentRetired(Instant at) implements Event {}

  /** {@code definition} is null until the agent is first defined. */
  public record State(AgentDefinition definition, int version, boolean retired, Instant definedAt, Instant updatedAt)
      implements CborSerializable {
    static final State EMPTY = new State(null, 0, false, null, null);

    State apply(Event event) {
      if (event instanceof AgentDefined d) {
        return new State(d.definition(), version + 1, false, definedAt == null ? d.at() : definedAt, d.at());
      }
      AgentRetired r = (AgentRetired) event;
      return new State(definition, version, true, definedAt, r.at());
    }
  }

  // --- behavior ---

  private final String name;

  private Agent(String name) {
    super(PersistenceId.of(ENTITY_KEY.name(), name),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.name = name;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Define.class, (state, cmd) -> Effect()
            .persist(new AgentDefined(cmd.definition(), now()))
            .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s))))
        .onCommand(Get.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), new AgentLookup(state.definition() == null ? null : view(state))))
        .onCommand(Retire.class, this::onRetire)
        .build();
  }

  private ReplyEffect<Event, State> onRetire(State state, Retire cmd) {
    if (state.definition() == null) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("agent " + name + " is not defined"));
    }
    if (state.retired()) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(view(state)));
    }
    return Effect().persist(new AgentRetired(now())).thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  private AgentView view(State s) {
    return new AgentView(name, s.retired() ? Status.RETIRED : Status.ACTIVE, s.version(), s.definition(),
        s.definedAt(), s.updatedAt());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MILLIS);
  }
}
