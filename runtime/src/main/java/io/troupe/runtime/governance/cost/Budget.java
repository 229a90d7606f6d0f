package io.troupe.runtime.governance.cost;

import io.troupe.runtime.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The spending limits of one subject ({@code user:<id>} or {@code agent:<name>}) per UTC day, week
 * and month. Before each model call a session reserves the call's estimated cost here; after the
 * reply it settles the reservation with the actual cost. Being one sharded entity per subject,
 * every node's sessions of that subject queue through the same actor, so together they cannot
 * pass the limit by more than the difference between one call's estimate and its actual cost.
 *
 * <p>Reservation ids are deterministic (session id and iteration): a session step run again after
 * a crash reserves the same id again and gets the same answer, and a Settle delivered twice counts
 * once. A reservation never settled (its node died mid-call) counts as spent at its estimate
 * after {@code troupe.costs.reservation-timeout}. A subject with no limit persists nothing.
 */
public final class Budget extends EventSourcedBehaviorWithEnforcedReplies<Budget.Command, Budget.Event, BudgetState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Budget");

  public static void init(ActorSystem<?> system) {
    CostSettings costs = io.troupe.runtime.node.RuntimeSettings.get(system).costs();
    Duration timeout = costs.reservationTimeout();
    int snapshotEvery = costs.snapshotEvery();
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), timeout, snapshotEvery)));
  }

  public static Behavior<Command> create(String subject, Duration reservationTimeout, int snapshotEvery) {
    return Behaviors.withTimers(timers -> Behaviors.setup(ctx -> new Budget(subject, reservationTimeout, snapshotEvery,
        timers, io.troupe.runtime.node.NodeClock.get(ctx.getSystem()).clock())));
  }

  public static String userSubject(String userId) {
    return "user:" + userId;
  }

  public static String agentSubject(String agentName) {
    return "agent:" + agentName;
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /**
   * Sets (or with a null limit removes) the limit of one period. {@code baselineUsd} is what the
   * subject already spent in the current day, week and month by the read side; it is taken only
   * when the subject had no limit before (spending is tracked here only while one is set).
   */
  public record SetLimit(BudgetPeriod period, Double limitUsd, Map<BudgetPeriod, Double> baselineUsd,
                         ActorRef<StatusReply<BudgetView>> replyTo) implements Command {}

  /** Reserves a model call's estimated cost; granted unless a limit would be passed. */
  public record Reserve(String reservationId, double estimateUsd, ActorRef<Verdict> replyTo) implements Command {}

  /** Replaces a reservation's estimate with the call's actual cost. No reply: a lost one expires. */
  public record Settle(String reservationId, double actualUsd) implements Command {}

  public record Get(ActorRef<BudgetView> replyTo) implements Command {}

  /**
   * Internal: charge reservations older than the timeout (by the node's clock) at their estimate.
   * A timer sends it; any sender may, since it only expires what is due.
   */
  public record ExpireStale() implements Command {}

  /** The answer to a Reserve; when denied, {@code period} is the limit it would pass. */
  public record Verdict(String subject, boolean granted, BudgetPeriod period, Double limitUsd, double spentUsd,
                        double reservedUsd, double estimateUsd) implements CborSerializable {}

  /** One period of a budget as the API shows it; limitUsd and remainingUsd are null without a limit. */
  public record PeriodView(BudgetPeriod period, Double limitUsd, double spentUsd, Double remainingUsd,
                           Instant periodStart, Instant periodEnd) implements CborSerializable {}

  public record BudgetView(String subject, List<PeriodView> periods, int openReservations, double reservedUsd)
      implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record LimitSet(BudgetPeriod period, Double limitUsd, Map<BudgetPeriod, Double> baselineUsd, Instant at)
      implements Event {}

  public record Reserved(String reservationId, double estimateUsd, Instant at) implements Event {}

  public record Settled(String reservationId, double actualUsd, Instant at) implements Event {}

  public record Expired(String reservationId, Instant at) implements Event {}

  // --- behavior ---

  private static final String EXPIRY_TIMER = "expire";
  private final String subject;
  private final Duration reservationTimeout;
  private final int snapshotEvery;
  private final TimerScheduler<Command> timers;
  private final java.time.Clock clock;

  private Budget(String subject, Duration reservationTimeout, int snapshotEvery, TimerScheduler<Command> timers,
                 java.time.Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), subject),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.subject = subject;
    this.reservationTimeout = reservationTimeout;
    this.snapshotEvery = snapshotEvery;
    this.timers = timers;
    this.clock = clock;
  }

  @Override
  public BudgetState emptyState() {
    return BudgetState.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, BudgetState> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(SetLimit.class, this::onSetLimit)
        .onCommand(Reserve.class, this::onReserve)
        .onCommand(Settle.class, this::onSettle)
        .onCommand(Get.class, (state, cmd) -> {
          Instant at = now(); // stale reservations shown as spent; they are journaled as such on the next write
          return Effect().reply(cmd.replyTo(), view(applyAll(state, stale(state, at)), at));
        })
        .onCommand(ExpireStale.class, this::onExpireStale)
        .build();
  }

  private ReplyEffect<Event, BudgetState> onSetLimit(BudgetState state, SetLimit cmd) {
    if (cmd.limitUsd() != null && !(cmd.limitUsd() >= 0 && Double.isFinite(cmd.limitUsd()))) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("limitUsd must be a finite number of at least 0"));
    }
    Instant at = now();
    return Effect().persist(new LimitSet(cmd.period(), cmd.limitUsd(), cmd.baselineUsd(), at))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s, at)));
  }

  private ReplyEffect<Event, BudgetState> onReserve(BudgetState state, Reserve cmd) {
    Instant at = now();
    List<Event> events = stale(state, at);
    BudgetState current = applyAll(state, events);
    BudgetPeriod exceeded = current.exceeded(cmd.estimateUsd(), at);
    boolean repeat = current.known(cmd.reservationId());
    if (repeat || !current.limited() || exceeded != null) {
      // A repeat was granted before; without a limit nothing is tracked; a denial changes nothing.
      boolean granted = repeat || exceeded == null;
      Verdict verdict = verdict(current, granted, granted ? null : exceeded, cmd.estimateUsd(), at);
      return events.isEmpty() ? Effect().reply(cmd.replyTo(), verdict)
          : Effect().persist(events).thenReply(cmd.replyTo(), s -> verdict);
    }
    events.add(new Reserved(cmd.reservationId(), cmd.estimateUsd(), at));
    return Effect().persist(events)
        .thenRun(s -> armExpiry())
        .thenReply(cmd.replyTo(), s -> verdict(current, true, null, cmd.estimateUsd(), at));
  }

  private ReplyEffect<Event, BudgetState> onSettle(BudgetState state, Settle cmd) {
    // Reservations past the timeout expire first, as Get already shows them: a settle that comes
    // later than that is too late whether or not the expiry timer has fired yet.
    Instant at = now();
    List<Event> events = stale(state, at);
    BudgetState current = applyAll(state, events);
    boolean open = current.open().containsKey(cmd.reservationId());
    // Unknown but limited: reserved while the subject had no limit, or expired and forgotten;
    // charged all the same. A closed one was counted already.
    if (open || (current.limited() && !current.known(cmd.reservationId()))) {
      events.add(new Settled(cmd.reservationId(), Math.max(0, cmd.actualUsd()), at));
    }
    return events.isEmpty() ? Effect().noReply() : Effect().persist(events).thenNoReply();
  }

  private ReplyEffect<Event, BudgetState> onExpireStale(BudgetState state, ExpireStale cmd) {
    List<Event> events = stale(state, now());
    if (events.isEmpty()) { // the open ones are younger: look again later
      if (!state.open().isEmpty()) {
        armExpiry();
      }
      return Effect().noReply();
    }
    return Effect().persist(events).thenRun(s -> {
      if (!s.open().isEmpty()) {
        armExpiry();
      }
    }).thenNoReply();
  }

  private List<Event> stale(BudgetState state, Instant at) {
    List<Event> events = new ArrayList<>();
    state.open().forEach((id, r) -> {
      if (!r.at().plus(reservationTimeout).isAfter(at)) {
        events.add(new Expired(id, at));
      }
    });
    return events;
  }

  private void armExpiry() {
    if (!timers.isTimerActive(EXPIRY_TIMER)) {
      timers.startSingleTimer(EXPIRY_TIMER, new ExpireStale(), reservationTimeout);
    }
  }

  private static BudgetState applyAll(BudgetState state, List<Event> events) {
    BudgetState s = state;
    for (Event e : events) {
      s = s.apply(e);
    }
    return s;
  }

  private Verdict verdict(BudgetState s, boolean granted, BudgetPeriod period, double estimateUsd, Instant at) {
    return new Verdict(subject, granted, period, period == null ? null : s.limits().get(period),
        period == null ? 0.0 : s.spentIn(period, at), s.reservedUsd(), estimateUsd);
  }

  private BudgetView view(BudgetState s, Instant at) {
    List<PeriodView> periods = new ArrayList<>();
    for (BudgetPeriod p : BudgetPeriod.values()) {
      Double limit = s.limits().get(p);
      double spent = s.spentIn(p, at);
      periods.add(new PeriodView(p, limit, spent, limit == null ? null : Math.max(0, limit - spent - s.reservedUsd()),
          p.start(at), p.end(at)));
    }
    return new BudgetView(subject, periods, s.open().size(), s.reservedUsd());
  }

  @Override
  public SignalHandler<BudgetState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (!state.open().isEmpty()) {
            armExpiry();
          }
        })
        .build();
  }

  @Override
  public EventHandler<BudgetState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(BudgetState::apply);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
