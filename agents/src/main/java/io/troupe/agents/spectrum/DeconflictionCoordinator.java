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

  /** The theater a decision id belongs to: ids are "{theater}-d{n}". Empty string if malformed. */
  public static String theaterOfDecision(String decisionId) {
    int d = decisionId.lastIndexOf("-d");
    if (d <= 0 || d + 2 == decisionId.length()) {
      return "";
    }
    for (int i = d + 2; i < decisionId.length(); i++) {
      if (!Character.isDigit(decisionId.charAt(i))) {
        return "";
      }
    }
    String theater = decisionId.substring(0, d);
    return io.troupe.runtime.broker.TopicNames.problem(theater).isPresent() ? "" : theater;
  }

  /**
   * The coordinator's configuration (troupe.deconfliction; read by {@link SpectrumSettings}).
   * {@code maxPendingApprovals} bounds the requests a theater holds for approval at once;
   * {@code pendingApprovalTimeout} is how long one is held before it is rejected.
   */
  public record Settings(ModelConstants model, int snapshotEvery, int endedAllocationsKept, int maxPendingApprovals,
                         Duration pendingApprovalTimeout) {

    /** With reference.conf's defaults for held requests: 100 per theater, for up to 24 hours. */
    public Settings(ModelConstants model, int snapshotEvery, int endedAllocationsKept) {
      this(model, snapshotEvery, endedAllocationsKept, 100, Duration.ofHours(24));
    }
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /**
   * Decides a request; replies with the decision (also when DENIED or CONFLICT, and PENDING_APPROVAL
   * when it is held). An error reply when it would be held but the theater holds
   * {@code maxPendingApprovals} already: then nothing is recorded.
   */
  public record RequestAllocation(AllocationRequest request, ActorRef<StatusReply<Decision>> replyTo) implements Command {}

  /**
   * An administrator's review of a held request: approve (decided again against the plan of now)
   * or reject. Answered once: a held request already reviewed (or expired) answers ALREADY_REVIEWED.
   */
  public record ReviewHeldRequest(String decisionId, boolean approve, String reviewedBy, String comment,
                                  ActorRef<ReviewResult> replyTo) implements Command {}

  /** One held request, pending or among the last reviewed ones. */
  public record GetHeldRequest(String decisionId, ActorRef<HeldRequestLookup> replyTo) implements Command {}

  /** The requests held for approval now, oldest first. */
  public record ListHeldRequests(ActorRef<HeldRequestList> replyTo) implements Command {}

  /** Ends an active allocation early. */
  public record Release(String allocationId, ActorRef<ReleaseResult> replyTo) implements Command {}

  /** Replaces the theater's Rules of Engagement; applies to requests decided after it. */
  public record UpdateRoe(Roe roe, ActorRef<StatusReply<Roe>> replyTo) implements Command {}

  public record GetRoe(ActorRef<Roe> replyTo) implements Command {}

  public record GetAllocation(String allocationId, ActorRef<AllocationLookup> replyTo) implements Command {}

  /** Allocations with the given status (null: any) whose band overlaps [minMhz, maxMhz], frequency order. */
  public record ListAllocations(AllocationStatus status, double minMhz, double maxMhz, int limit,
                                ActorRef<AllocationList> replyTo) implements Command {}

  /** Timer (a wake-up): expire allocations whose window has ended, and held requests due, by the node's clock. */
  public record ExpireDue() implements Command {}

  public record ReleaseResult(Outcome outcome, Allocation allocation) implements CborSerializable {
    public enum Outcome { RELEASED, NOT_FOUND, NOT_ACTIVE }
  }

  /** {@code held} is the request as it stands after the review (for ALREADY_REVIEWED, as it was); null for NOT_FOUND. */
  public record ReviewResult(Outcome outcome, HeldRequest held) implements CborSerializable {
    public enum Outcome { REVIEWED, NOT_FOUND, ALREADY_REVIEWED }
  }

  /** {@code held} is null when the theater knows no held request by that id. */
  public record HeldRequestLookup(HeldRequest held) implements CborSerializable {}

  public record HeldRequestList(List<HeldRequest> held) implements CborSerializable {}

  /** {@code allocation} is null when the theater does not know the id. */
  public record AllocationLookup(Allocation allocation) implements CborSerializable {}

  public record AllocationList(List<Allocation> allocations, boolean truncated) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record AllocationDecided(Decision decision, AllocationRequest request) implements Event {}

  /** A request held for approval ({@code decision} is PENDING_APPROVAL), rejected at {@code expiresAt} unless reviewed. */
  public record RequestHeld(Decision decision, AllocationRequest request, Instant expiresAt) implements Event {}

  /**
   * A held request was reviewed: approved or rejected by an administrator, or expired.
   * {@code decision}, under the held decision's id, is the outcome: APPROVED (allocated, preempting
   * what it lists), CONFLICT or DENIED (approved, but the plan or the rules changed meanwhile),
   * REJECTED; or PENDING_APPROVAL again when an approval found it would now preempt allocations
   * it was not held for (it stays held with the new lists).
   */
  public record HeldRequestReviewed(Decision decision, AllocationRequest request, HeldRequest.Review review)
      implements Event {}

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
        .onCommand(ReviewHeldRequest.class, this::onReview)
        .onCommand(GetHeldRequest.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), new HeldRequestLookup(state.hold(cmd.decisionId()))))
        .onCommand(ListHeldRequests.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), new HeldRequestList(List.copyOf(state.pendingHolds.values()))))
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
    if (Holds.mustHold(state.roe, a)) {
      return onHold(state, cmd, a, start);
    }
    boolean approved = a.status() == DecisionStatus.APPROVED;
    Decision decision = new Decision(state.nextDecisionId(), theater, approved ? state.nextAllocationId() : null,
        a.status(), a.conflicts(), a.violations(), a.preempted(), a.alternatives(), a.reasoning(), now());
    return Effect().persist(new AllocationDecided(decision, cmd.request()))
        .thenRun(s -> {
          record(emission.priority(), a, false, start);
          scheduleExpiry(s);
        })
        .thenReply(cmd.replyTo(), s -> StatusReply.success(decision));
  }

  /** A request that would preempt where the ROE needs approval for it: held, nothing changes yet. */
  private ReplyEffect<Event, CoordinatorState> onHold(CoordinatorState state, RequestAllocation cmd, Assessment a,
                                                      long start) {
    if (state.pendingHolds.size() >= settings.maxPendingApprovals()) {
      metrics.heldRequests.labels("refused").inc();
      return Effect().reply(cmd.replyTo(), StatusReply.error("theater " + theater + " already holds "
          + state.pendingHolds.size() + " requests awaiting an administrator's approval, its limit"
          + " (troupe.deconfliction.max-pending-approvals); this one would preempt " + String.join(", ", a.preempted())
          + " and is not recorded: ask again once held requests are approved, rejected or expired"));
    }
    Instant at = now();
    Emission emission = cmd.request().emission();
    Decision held = Holds.held(state.nextDecisionId(), theater, a,
        model.alternativesFor(emission, state.roe, state.active), at);
    return Effect().persist(new RequestHeld(held, cmd.request(),
            Holds.expiry(at, settings.pendingApprovalTimeout(), emission)))
        .thenRun(s -> {
          record(emission.priority(), a, true, start);
          metrics.heldRequests.labels("held").inc();
          scheduleExpiry(s);
        })
        .thenReply(cmd.replyTo(), s -> StatusReply.success(held));
  }

  private ReplyEffect<Event, CoordinatorState> onReview(CoordinatorState state, ReviewHeldRequest cmd) {
    HeldRequest held = state.hold(cmd.decisionId());
    if (held == null) {
      return Effect().reply(cmd.replyTo(), new ReviewResult(ReviewResult.Outcome.NOT_FOUND, null));
    }
    if (!held.pending()) {
      return Effect().reply(cmd.replyTo(), new ReviewResult(ReviewResult.Outcome.ALREADY_REVIEWED, held));
    }
    Instant at = now();
    if (!held.expiresAt().isAfter(at)) { // due, and its timer not yet run: it expired first
      return Effect().persist(expiry(held, at))
          .thenRun(s -> {
            countExpired(held, at);
            scheduleExpiry(s);
          })
          .thenReply(cmd.replyTo(), s -> new ReviewResult(ReviewResult.Outcome.ALREADY_REVIEWED, s.hold(cmd.decisionId())));
    }
    Decision outcome;
    String label;
    if (cmd.approve()) {
      Emission emission = held.request().emission();
      Assessment now = model.assess(emission, state.roe, state.active);
      outcome = Holds.approved(held, now, () -> model.alternativesFor(emission, state.roe, state.active),
          state.nextAllocationId(), cmd.reviewedBy(), cmd.comment(), at);
      label = outcome.status() == DecisionStatus.APPROVED && outcome.preempted().equals(held.decision().wouldPreempt())
          ? "approved" : "changed";
    } else {
      outcome = Holds.rejected(held, cmd.reviewedBy(), cmd.comment(), at);
      label = "rejected";
    }
    HeldRequest.Review review = new HeldRequest.Review(
        cmd.approve() ? HeldRequest.Verdict.APPROVED : HeldRequest.Verdict.REJECTED, cmd.reviewedBy(), cmd.comment(), at);
    Priority priority = held.request().emission().priority();
    return Effect().persist(new HeldRequestReviewed(outcome, held.request(), review))
        .thenRun(s -> {
          metrics.heldRequests.labels(label).inc();
          recordOutcome(priority, outcome);
          scheduleExpiry(s);
        })
        .thenReply(cmd.replyTo(), s -> new ReviewResult(ReviewResult.Outcome.REVIEWED, s.hold(cmd.decisionId())));
  }

  private HeldRequestReviewed expiry(HeldRequest held, Instant at) {
    return new HeldRequestReviewed(Holds.expired(held, at), held.request(),
        new HeldRequest.Review(HeldRequest.Verdict.EXPIRED, null, Holds.expiryReason(held), at));
  }

  private void countExpired(HeldRequest held, Instant at) {
    metrics.heldRequests.labels("expired").inc();
    recordOutcome(held.request().emission().priority(), Holds.expired(held, at));
  }

  /** The counters of a held request's final outcome (a held request was counted as a request when held). */
  private void recordOutcome(Priority priority, Decision outcome) {
    String p = priority.name();
    switch (outcome.status()) {
      case APPROVED -> metrics.deconflictionApprovals.labels(p).inc();
      case DENIED -> metrics.deconflictionDenials.labels(p, "ROE_VIOLATION").inc();
      case CONFLICT -> metrics.deconflictionDenials.labels(p, "CONFLICT").inc();
      case REJECTED -> metrics.deconflictionDenials.labels(p, "REJECTED").inc();
      case PENDING_APPROVAL -> { } // still held: counted when it ends
    }
    for (RoeViolation v : outcome.roeViolations()) {
      metrics.roeViolations.labels(v.violationType(), v.severity().name()).inc();
    }
    metrics.deconflictionPreemptions.inc(outcome.preempted().size());
  }

  /** Counts a request; one {@code held} for approval has its outcome counted when reviewed ({@link #recordOutcome}). */
  private void record(Priority priority, Assessment a, boolean held, long start) {
    String p = priority.name();
    metrics.deconflictionRequests.labels(p).inc();
    metrics.roeChecks.inc();
    for (RoeViolation v : a.violations()) {
      metrics.roeViolations.labels(v.violationType(), v.severity().name()).inc();
    }
    if (!held) {
      switch (a.status()) {
        case APPROVED -> metrics.deconflictionApprovals.labels(p).inc();
        case DENIED -> metrics.deconflictionDenials.labels(p, "ROE_VIOLATION").inc();
        case CONFLICT -> metrics.deconflictionDenials.labels(p, "CONFLICT").inc();
        default -> { } // the model answers only these three
      }
      metrics.deconflictionPreemptions.inc(a.preempted().size());
    }
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
    List<HeldRequest> holdsDue = state.holdsExpiringBy(now);
    for (HeldRequest held : holdsDue) {
      expired.add(expiry(held, now));
    }
    if (expired.isEmpty()) {
      scheduleExpiry(state);
      return Effect().noReply();
    }
    return Effect().persist(expired).thenRun(s -> {
      holdsDue.forEach(held -> countExpired(held, now));
      scheduleExpiry(s);
    }).thenNoReply();
  }

  /** Arms the one timer for the next allocation end or hold expiry (and updates the theater's gauges). */
  private void scheduleExpiry(CoordinatorState state) {
    metrics.activeAllocations.labels(theaterLabel).set(state.active.size());
    metrics.pendingApprovals.labels(theaterLabel).set(state.pendingHolds.size());
    Instant next = state.earliestEnd();
    Instant holdExpiry = state.earliestHoldExpiry();
    if (next == null || (holdExpiry != null && holdExpiry.isBefore(next))) {
      next = holdExpiry;
    }
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
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state -> { // moved or stopped: no longer held here
          metrics.activeAllocations.labels(theaterLabel).set(0);
          metrics.pendingApprovals.labels(theaterLabel).set(0);
        })
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
