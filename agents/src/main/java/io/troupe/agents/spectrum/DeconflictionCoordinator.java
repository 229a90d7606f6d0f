package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.readside.Slices;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The spectrum deconfliction coordinator of one theater: decides allocation requests against the
 * theater's Rules of Engagement and its active allocations ({@link SpectrumModel}), and keeps
 * those allocations through their lifecycle (preempted, released, expired). Every decision is
 * journaled, approved or not, so the record of what was asked and why it was answered so is
 * complete.
 */
public final class DeconflictionCoordinator
    extends EventSourcedBehaviorWithEnforcedReplies<DeconflictionCoordinator.Command, DeconflictionCoordinator.Event, CoordinatorState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "DeconflictionCoordinator");
  public static final String DEFAULT_THEATER = "default";
  /** Expiry is re-checked at least this often, so a clock change cannot postpone it for long. */
  private static final Duration MAX_TIMER = Duration.ofHours(1);

  public static void init(ActorSystem<?> system) {
    Settings settings = SpectrumSettings.get(system).coordinator();
    SpectrumMetrics.get(system); // exported from the start, before a first request
    // Remembered: a coordinator must keep running to expire allocations on time (theaters are few).
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings))
        .withSettings(org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings.create(system)
            .withRememberEntities(true)));
  }

  public static Behavior<Command> create(String theater, Settings settings) {
    return Behaviors.withTimers(timers -> Behaviors.setup(ctx ->
        new DeconflictionCoordinator(theater, settings, timers, SpectrumMetrics.get(ctx.getSystem()),
            Slices.count(ctx.getSystem()), io.troupe.runtime.node.NodeClock.get(ctx.getSystem()).clock())));
  }

  /** The theater an allocation id belongs to: ids are "{theater}-{n}". Empty string if malformed. */
  public static String theaterOf(String allocationId) {
    int dash = allocationId.lastIndexOf('-');
    if (dash <= 0 || dash == allocationId.length() - 1) {
      return "";
    }
    for (int i = dash + 1; i < allocationId.length(); i++) {
      if (!Character.isDigit(allocationId.charAt(i))) {
        return "";
      }
    }
    String theater = allocationId.substring(0, dash);
    // Only a valid theater name can own allocations; anything else must not wake an entity.
    return io.troupe.runtime.broker.TopicNames.problem(theater).isPresent() ? "" : theater;
  }

  /** The coordinator's configuration (troupe.deconfliction; read by {@link SpectrumSettings}). */
  public record Settings(ModelConstants model, int snapshotEvery, int endedAllocationsKept) {}

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /** Decides a request; replies with the decision (also when DENIED or CONFLICT). */
  public record RequestAllocation(AllocationRequest request, ActorRef<StatusReply<Decision>> replyTo) implements Command {}

  /** Ends an active allocation early. */
  public record Release(String allocationId, ActorRef<ReleaseResult> replyTo) implements Command {}

  /** Replaces the theater's Rules of Engagement; applies to requests decided after it. */
  public record UpdateRoe(Roe roe, ActorRef<StatusReply<Roe>> replyTo) implements Command {}

  public record GetRoe(ActorRef<Roe> replyTo) implements Command {}

  public record GetAllocation(String allocationId, ActorRef<AllocationLookup> replyTo) implements Command {}

  /** Allocations with the given status (null: any) whose band overlaps [minMhz, maxMhz], frequency order. */
  public record ListAllocations(AllocationStatus status, double minMhz, double maxMhz, int limit,
                                ActorRef<AllocationList> replyTo) implements Command {}

  /** Timer (a wake-up): expire allocations whose window has ended by the node's clock. */
  public record ExpireDue() implements Command {}

  public record ReleaseResult(Outcome outcome, Allocation allocation) implements CborSerializable {
    public enum Outcome { RELEASED, NOT_FOUND, NOT_ACTIVE }
  }

  /** {@code allocation} is null when the theater does not know the id. */
  public record AllocationLookup(Allocation allocation) implements CborSerializable {}

  public record AllocationList(List<Allocation> allocations, boolean truncated) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record AllocationDecided(Decision decision, AllocationRequest request) implements Event {}

  public record AllocationReleased(String allocationId, Instant releasedAt) implements Event {}

  public record AllocationExpired(String allocationId, Instant expiredAt) implements Event {}

  public record RoeUpdated(Roe roe, Instant updatedAt) implements Event {}

  // --- behavior ---

  private final String theater;
  private final Settings settings;
  private final SpectrumModel model;
  private final TimerScheduler<Command> timers;
  private final SpectrumMetrics metrics;
  private final String theaterLabel;
  /** The tag of all this coordinator's events: its read-side slice ({@link Slices}). */
  private final java.util.Set<String> tags;
  private final java.time.Clock clock;

  private DeconflictionCoordinator(String theater, Settings settings, TimerScheduler<Command> timers, SpectrumMetrics metrics,
                                   int slices, java.time.Clock clock) {
    // No persist-failure supervisor here, unlike the other entities: it would restart this
    // behavior in place over the same (mutable) state, which already holds the event that failed
    // to persist. On a journal failure the entity stops; sharding re-creates it, with a fresh
    // state from the journal, on the next message.
    super(PersistenceId.of(ENTITY_KEY.name(), theater));
    this.theater = theater;
    this.settings = settings;
    this.model = new SpectrumModel(settings.model());
    this.timers = timers;
    this.metrics = metrics;
    this.theaterLabel = metrics.theaterLabel.of(theater);
    this.tags = java.util.Set.of(Slices.tag(TAG, persistenceId().id(), slices));
    this.clock = clock;
  }

  @Override
  public CoordinatorState emptyState() {
    return new CoordinatorState(theater, settings.endedAllocationsKept());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, CoordinatorState> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(RequestAllocation.class, this::onRequest)
        .onCommand(Release.class, this::onRelease)
        .onCommand(UpdateRoe.class, (state, cmd) -> Effect()
            .persist(new RoeUpdated(cmd.roe(), now()))
            .thenReply(cmd.replyTo(), s -> StatusReply.success(s.roe)))
        .onCommand(GetRoe.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.roe))
        .onCommand(GetAllocation.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), new AllocationLookup(state.allocations.get(cmd.allocationId()))))
        .onCommand(ListAllocations.class, this::onList)
        .onCommand(ExpireDue.class, this::onExpireDue)
        .build();
  }

  private ReplyEffect<Event, CoordinatorState> onRequest(CoordinatorState state, RequestAllocation cmd) {
    String key = cmd.request().scopedKey();
    Decision earlier = key == null ? null : state.recentDecisions.get(key);
    if (earlier != null) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(earlier)); // a retry: decided already
    }
    long start = System.nanoTime();
    Emission emission = cmd.request().emission();
    Assessment a = model.assess(emission, state.roe, state.active);
    boolean approved = a.status() == DecisionStatus.APPROVED;
    Decision decision = new Decision(state.nextDecisionId(), theater, approved ? state.nextAllocationId() : null,
        a.status(), a.conflicts(), a.violations(), a.preempted(), a.alternatives(), a.reasoning(), now());
    return Effect().persist(new AllocationDecided(decision, cmd.request()))
        .thenRun(s -> {
          record(emission.priority(), a, start);
          scheduleExpiry(s);
        })
        .thenReply(cmd.replyTo(), s -> StatusReply.success(decision));
  }

  private void record(Priority priority, Assessment a, long start) {
    String p = priority.name();
    metrics.deconflictionRequests.labels(p).inc();
    metrics.roeChecks.inc();
    for (RoeViolation v : a.violations()) {
      metrics.roeViolations.labels(v.violationType(), v.severity().name()).inc();
    }
    switch (a.status()) {
      case APPROVED -> metrics.deconflictionApprovals.labels(p).inc();
      case DENIED -> metrics.deconflictionDenials.labels(p, "ROE_VIOLATION").inc();
      case CONFLICT -> metrics.deconflictionDenials.labels(p, "CONFLICT").inc();
    }
    metrics.deconflictionPreemptions.inc(a.preempted().size());
    metrics.deconflictionDuration.observe((System.nanoTime() - start) / 1e9);
  }

  private ReplyEffect<Event, CoordinatorState> onRelease(CoordinatorState state, Release cmd) {
    Allocation a = state.allocations.get(cmd.allocationId());
    if (a == null) {
      return Effect().reply(cmd.replyTo(), new ReleaseResult(ReleaseResult.Outcome.NOT_FOUND, null));
    }
    if (a.status() != AllocationStatus.APPROVED) {
      return Effect().reply(cmd.replyTo(), new ReleaseResult(ReleaseResult.Outcome.NOT_ACTIVE, a));
    }
    return Effect().persist(new AllocationReleased(a.allocationId(), now()))
        .thenRun(this::scheduleExpiry)
        .thenReply(cmd.replyTo(), s -> new ReleaseResult(ReleaseResult.Outcome.RELEASED, s.allocations.get(a.allocationId())));
  }

  private ReplyEffect<Event, CoordinatorState> onList(CoordinatorState state, ListAllocations cmd) {
    List<Allocation> out = new ArrayList<>();
    boolean truncated = false;
    if (cmd.status() == AllocationStatus.APPROVED) {
      for (ActiveAllocation active : state.active.inRange(cmd.minMhz(), cmd.maxMhz())) {
        if (out.size() == cmd.limit()) {
          truncated = true;
          break;
        }
        out.add(state.allocations.get(active.allocationId()));
      }
    } else {
      List<Allocation> matching = new ArrayList<>();
      for (Allocation a : state.allocations.values()) {
        Emission e = a.emission();
        if ((cmd.status() == null || a.status() == cmd.status()) && e.highMhz() >= cmd.minMhz() && e.lowMhz() <= cmd.maxMhz()) {
          matching.add(a);
        }
      }
      matching.sort((x, y) -> Double.compare(x.emission().frequencyMhz(), y.emission().frequencyMhz()));
      truncated = matching.size() > cmd.limit();
      out = truncated ? new ArrayList<>(matching.subList(0, cmd.limit())) : matching;
    }
    return Effect().reply(cmd.replyTo(), new AllocationList(List.copyOf(out), truncated));
  }

  private ReplyEffect<Event, CoordinatorState> onExpireDue(CoordinatorState state, ExpireDue cmd) {
    Instant now = now();
    List<Event> expired = new ArrayList<>();
    for (String id : state.activeEndingBy(now)) {
      expired.add(new AllocationExpired(id, now));
    }
    if (expired.isEmpty()) {
      scheduleExpiry(state);
      return Effect().noReply();
    }
    return Effect().persist(expired).thenRun(this::scheduleExpiry).thenNoReply();
  }

  private void scheduleExpiry(CoordinatorState state) {
    metrics.activeAllocations.labels(theaterLabel).set(state.active.size());
    Instant next = state.earliestEnd();
    if (next == null) {
      timers.cancel("expire");
      return;
    }
    Duration delay = Duration.between(clock.instant(), next);
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    timers.startSingleTimer("expire", new ExpireDue(), delay.compareTo(MAX_TIMER) > 0 ? MAX_TIMER : delay);
  }

  /** Base tag of coordinator events, read by the deconfliction projection: "deconfliction-<slice>". */
  public static final String TAG = "deconfliction";

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public EventHandler<CoordinatorState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(CoordinatorState::apply);
  }

  @Override
  public SignalHandler<CoordinatorState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::scheduleExpiry)
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state ->
            metrics.activeAllocations.labels(theaterLabel).set(0)) // moved or stopped: no longer held here
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SnapshotAdapter<CoordinatorState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(CoordinatorState state) {
        return state.toSnapshot();
      }

      @Override
      public CoordinatorState fromJournal(Object from) {
        return CoordinatorState.fromSnapshot(theater, settings.endedAllocationsKept(), (CoordinatorState.Snapshot) from);
      }
    };
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
