package io.troupe.runtime.agent;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
 *
 * <p>An agent belongs to the user who first defined it, for as long as it exists: only that
 * owner or an administrator may redefine or retire it (checked here, so two users racing to
 * define a new name cannot both own it). A shared agent may be run by every user.
 */
public final class Agent extends EventSourcedBehaviorWithEnforcedReplies<Agent.Command, Agent.Event, Agent.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Agent");

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** Events are tagged {@code agent-<slice>} for the {@code agent} read table's projection. */
  public static final String TAG = "agent";

  public static Behavior<Command> create(String name) {
    return Behaviors.setup(ctx -> new Agent(name, ClusterSharding.get(ctx.getSystem()),
        io.troupe.runtime.readside.Slices.count(ctx.getSystem()), io.troupe.runtime.node.NodeClock.get(ctx.getSystem()).clock()));
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /**
   * Defines the agent (owned by {@code caller}), or replaces its definition (also un-retiring it)
   * when {@code caller} owns it or {@code asAdmin}; otherwise refused, changing nothing.
   */
  public record Define(AgentDefinition definition, boolean shared, String caller, boolean asAdmin,
                       ActorRef<StatusReply<AgentView>> replyTo) implements Command {
    /** The runtime's own definition (built-in agents): the administrator's, shared. */
    public Define(AgentDefinition definition, ActorRef<StatusReply<AgentView>> replyTo) {
      this(definition, true, SYSTEM_OWNER, true, replyTo);
    }
  }

  /** Replies with the agent, or a lookup holding null when it was never defined. */
  public record Get(ActorRef<AgentLookup> replyTo) implements Command {}

  /** Retires the agent (no new sessions; running ones finish), when {@code caller} owns it or {@code asAdmin}. */
  public record Retire(String caller, boolean asAdmin, ActorRef<StatusReply<AgentView>> replyTo) implements Command {}

  public enum Status { ACTIVE, RETIRED }

  /** The owner of agents defined by the runtime itself, and of those defined before owners were recorded. */
  public static final String SYSTEM_OWNER = io.troupe.runtime.governance.security.ApiUser.ADMIN_ID;

  public record AgentView(String name, Status status, int version, AgentDefinition definition, Instant definedAt,
                          Instant updatedAt, String owner, boolean shared) implements CborSerializable {}

  public record AgentLookup(AgentView agent) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  /**
   * {@code owner} is the agent's owner (the first definer's user id; a redefinition keeps it).
   * Events stored before owners were recorded hold neither field: such agents read as the
   * administrator's and shared, since every user could run them when they were defined.
   */
  public record AgentDefined(AgentDefinition definition, Instant at, String owner, Boolean shared) implements Event {
    public AgentDefined {
      owner = owner == null ? SYSTEM_OWNER : owner;
      shared = shared == null ? Boolean.TRUE : shared;
    }
  }

  public record AgentRetired(Instant at) implements Event {}

  /** {@code definition} and {@code owner} are null until the agent is first defined. */
  public record State(AgentDefinition definition, int version, boolean retired, Instant definedAt, Instant updatedAt,
                      String owner, boolean shared) implements CborSerializable {
    static final State EMPTY = new State(null, 0, false, null, null, null, false);

    State apply(Event event) {
      if (event instanceof AgentDefined d) {
        return new State(d.definition(), version + 1, false, definedAt == null ? d.at() : definedAt, d.at(),
            d.owner(), d.shared());
      }
      AgentRetired r = (AgentRetired) event;
      return new State(definition, version, true, definedAt, r.at(), owner, shared);
    }

    /** Whether {@code caller} may change the agent: anyone while it is undefined, then its owner or an admin. */
    boolean changeableBy(String caller, boolean asAdmin) {
      return definition == null || asAdmin || owner.equals(caller);
    }
  }

  // --- behavior ---

  private final String name;
  private final ClusterSharding sharding;

  private final java.util.Set<String> tags;
  private final java.time.Clock clock;

  private Agent(String name, ClusterSharding sharding, int slices, java.time.Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), name),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.name = name;
    this.sharding = sharding;
    this.clock = clock;
    this.tags = java.util.Set.of(io.troupe.runtime.readside.Slices.tag(TAG, persistenceId().id(), slices));
  }

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Define.class, this::onDefine)
        .onCommand(Get.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), new AgentLookup(state.definition() == null ? null : view(state))))
        .onCommand(Retire.class, this::onRetire)
        .build();
  }

  private ReplyEffect<Event, State> onDefine(State state, Define cmd) {
    if (!state.changeableBy(cmd.caller(), cmd.asAdmin())) {
      return Effect().reply(cmd.replyTo(), StatusReply.error(notOwner(state, "redefine")));
    }
    String owner = state.definition() == null ? cmd.caller() : state.owner();
    return Effect()
        .persist(new AgentDefined(cmd.definition(), now(), owner, cmd.shared()))
        .thenRun(s -> syncSubscriptions(state, s))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> onRetire(State state, Retire cmd) {
    if (state.definition() == null) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("agent " + name + " is not defined"));
    }
    if (!state.changeableBy(cmd.caller(), cmd.asAdmin())) {
      return Effect().reply(cmd.replyTo(), StatusReply.error(notOwner(state, "retire")));
    }
    if (state.retired()) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(view(state)));
    }
    return Effect().persist(new AgentRetired(now()))
        .thenRun(s -> syncSubscriptions(state, s))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  /** Starts a subscription worker per subscribed topic, and stops those of topics dropped. */
  private void syncSubscriptions(State before, State after) {
    java.util.List<String> now = after.retired() || after.definition() == null ? java.util.List.of()
        : after.definition().subscriptions();
    if (before.definition() != null) {
      for (String topic : before.definition().subscriptions()) {
        if (!now.contains(topic)) {
          sharding.entityRefFor(SubscriptionWorker.ENTITY_KEY, SubscriptionWorker.entityId(name, topic))
              .tell(new SubscriptionWorker.Stop());
        }
      }
    }
    for (String topic : now) {
      sharding.entityRefFor(SubscriptionWorker.ENTITY_KEY, SubscriptionWorker.entityId(name, topic))
          .tell(new SubscriptionWorker.Ensure());
    }
  }

  @Override
  public org.apache.pekko.persistence.typed.javadsl.SignalHandler<State> signalHandler() {
    // Workers are remembered entities and come back by themselves; this covers a crash between
    // journaling a definition and telling its workers.
    return newSignalHandlerBuilder()
        .onSignal(org.apache.pekko.persistence.typed.RecoveryCompleted.instance(), state -> syncSubscriptions(State.EMPTY, state))
        .build();
  }

  private String notOwner(State state, String what) {
    return "agent " + name + " belongs to another user; only its owner or an administrator may " + what + " it";
  }

  private AgentView view(State s) {
    return new AgentView(name, s.retired() ? Status.RETIRED : Status.ACTIVE, s.version(), s.definition(),
        s.definedAt(), s.updatedAt(), s.owner(), s.shared());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
