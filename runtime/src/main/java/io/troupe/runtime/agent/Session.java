package io.troupe.runtime.agent;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.governance.GovernanceMetrics;
import io.troupe.runtime.governance.cost.Budget;
import io.troupe.runtime.governance.cost.PricingTable;
import io.troupe.runtime.llm.LlmProvider;
import io.troupe.runtime.llm.LlmRequest;
import io.troupe.runtime.llm.LlmResponse;
import io.troupe.runtime.llm.ResponseCache;
import io.troupe.runtime.llm.ScriptedProvider;
import io.troupe.runtime.llm.ToolCall;
import io.troupe.runtime.llm.Usage;
import io.troupe.runtime.readside.Slices;
import io.troupe.runtime.tool.CallChain;
import io.troupe.runtime.tool.ToolContext;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One run of an agent, as durable execution: every model reply and every tool call is journaled
 * before the next step starts. The loop: call the model → {@link LlmResponded} → for each tool
 * call {@link ToolCallStarted}, run it, {@link ToolCallCompleted} → again, until the model answers
 * without tool calls ({@link SessionCompleted}) or the agent's maxIterations is reached.
 *
 * <p>Model and tool calls run outside the actor and come back as messages. A session whose node
 * dies resumes elsewhere from its last event: a tool call that had started is run again with the
 * same call id (its idempotency key); a completed one is never run again. Running sessions whose
 * entity is gone (a full restart, a node's crash, an entity's crash) are woken by the cluster's
 * {@link SessionReviver}, from the read side; sessions are not remembered entities, whose every
 * start and stop would be a write their first message waits for.
 *
 * <p>Before each model call that may cost money, its estimated cost is reserved on the budgets of
 * the session's user and agent ({@link Budget}, reservation id "{sessionId}#{iteration}", the same
 * when a step runs again); a denial ends the session with status ERROR and a reason starting with
 * {@value #BUDGET_EXCEEDED}. After the reply the reservation is settled with the actual cost.
 *
 * <p>What a session holds is bounded ({@link SessionLimits}): a reply's calls beyond the bound are
 * journaled as refused, not run; tool results are cut before they are journaled; and a session
 * past its state bound ends ERROR before its next step.
 *
 * <p>A running session whose entity starts again (its node restarted, or its entity crashed in a
 * step and the reviver woke it) is resumed gradually and not forever: it waits for a turn from
 * its node's {@link ResumeGate}, journals {@link SessionResumed} and takes its step. Resumed
 * {@link ResumeSettings#maxResumeAttempts} times in a row without a step journaled in between, it is
 * {@link SessionParked} instead (status FAILED_RECOVERY): nothing runs until it is cancelled.
 * What a crash is here: a handler that throws stops the entity (the typed default; the backoff
 * below restarts it only after a failed journal write or replay, the same instance, which is no
 * resume, and at most max-resume-attempts - 1 times in a row: then it stops too), and
 * the {@link SessionReviver}'s next sweep starts it again (troupe.sessions.revive-interval); an
 * OutOfMemoryError is fatal and the JVM exits, and the node's restart brings it back. Either way
 * the resume is journaled before the step runs, so a step that kills its node still counts.
 *
 * <p>A journal that can no longer be replayed (an event that no longer deserializes after a
 * deploy, or one {@link SessionState#apply} throws on) fails the entity's recovery. Each failure is
 * counted on its node ({@link SessionRecoveryFailures}; a journal that cannot be reached is not
 * counted, so a database outage parks nothing) and the backoff restarts it in place; at the
 * max-resume-attempts-th failure in a row it stops, the reviver (or a read) starts it again, and that incarnation,
 * seeing the count, does not replay ({@code Recovery.disabled()}, which still reads the highest
 * sequence number: its events follow the last one). It reads what can be read of its journal
 * ({@link SessionJournal}: the unreadable events skipped) and journals {@link SessionParked}, a
 * reason starting {@value #FAILED_RECOVERY} that says the journal could not be replayed, unless
 * those events show it parked or ended already; it answers Get and Cancel from that read state (a
 * cancel journals {@link SessionCancelled}), and runs nothing.
 */
public final class Session extends EventSourcedBehaviorWithEnforcedReplies<Session.Command, Session.Event, SessionState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Session");
  private static final Duration PASSIVATE_FINISHED_AFTER = Duration.ofMinutes(1);
  /** A resumed session whose node's gate has too many waiting asks again after this long. */
  private static final Duration RESUME_RETRY = Duration.ofSeconds(1);
  /** A resumed session still waiting asks again after this long, so that nothing lost (a gate restarted) strands it. */
  private static final Duration RESUME_REASK = Duration.ofSeconds(10);
  /** {@link #awaiting} of a resumed session until its turn comes: no step runs meanwhile. */
  private static final String RESUMING = "resume";

  public static void init(ActorSystem<?> system, SessionServices services) {
    SessionMetrics.get(system); // exported from the start, before a first session
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), ctx.getShard(), services))
        // No idle passivation: a session waiting on a long model or tool call gets no message
        // through its shard meanwhile, and must not be stopped for it. Sessions passivate
        // themselves when they end (and when a read or a wake found them ended).
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  public static Behavior<Command> create(String sessionId, ActorRef<ClusterSharding.ShardCommand> shard,
                                         SessionServices services) {
    return Behaviors.setup(ctx -> create(sessionId, shard, services, ResumeGate.get(ctx.getSystem())));
  }

  /** With the gate resumes wait at (the node's, unless a test brings its own). */
  static Behavior<Command> create(String sessionId, ActorRef<ClusterSharding.ShardCommand> shard,
                                  SessionServices services, ActorRef<ResumeGate.Command> gate) {
    return Behaviors.withTimers(timers -> Behaviors.setup(ctx -> {
      // Decided per incarnation: a journal that failed its replay too often here is not replayed again.
      SessionRecoveryFailures.Failures failures = SessionRecoveryFailures.get(ctx.getSystem()).of(sessionId);
      boolean unreplayable = failures.count() >= maxResumeAttempts(ctx.getSystem());
      return new Session(sessionId, ctx, shard, timers, services, gate, unreplayable ? failures : null);
    }));
  }

  private static int maxResumeAttempts(ActorSystem<?> system) {
    return io.troupe.runtime.node.RuntimeSettings.get(system).sessions().resumes().maxResumeAttempts();
  }

  /** How the reason of a session stopped by a budget starts (SessionFailed.reason, the API's error). */
  public static final String BUDGET_EXCEEDED = "BUDGET_EXCEEDED";
  /** How the reason starts when the budgets could not be asked (the session fails closed). */
  public static final String BUDGET_UNAVAILABLE = "BUDGET_UNAVAILABLE";
  /** How the reason of a parked session starts (SessionParked.reason, the API's error). */
  public static final String FAILED_RECOVERY = "FAILED_RECOVERY";
  /** The user a session without one is charged to. */
  public static final String ANONYMOUS_USER = "anonymous";

  public static String liveFeed(String sessionId) {
    return "troupe.session." + sessionId;
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /**
   * Starts the session; starting one that exists already changes nothing (redelivery-safe).
   * {@code chain} is how it came to run (null: a root that no API key started).
   */
  public record Start(String agentName, AgentDefinition definition, String input, String userId, CallChain chain,
                      ActorRef<StatusReply<Started>> replyTo) implements Command {}

  public record Get(ActorRef<SessionView> replyTo) implements Command {}

  /** Stops a running or parked session; its in-flight call's result is ignored. */
  public record Cancel(ActorRef<StatusReply<SessionView>> replyTo) implements Command {}

  public record Started(String sessionId, boolean alreadyStarted) implements CborSerializable {}

  /** Internal: take the next step of the loop. */
  public record Step() implements Command {}

  /** Internal: a model call finished (error is null on success). */
  public record LlmDone(int iteration, LlmResponse response, boolean cached, boolean cacheable, long durationMillis,
                        String error) implements Command {}

  /** Internal: the budgets answered the reservation for a model call (error is null when they answered). */
  public record BudgetChecked(int iteration, List<Budget.Verdict> verdicts, String error) implements Command {}

  /** Internal: a tool call finished. */
  public record ToolDone(String callId, boolean ok, String result, String error, long durationMillis) implements Command {}

  /** Internal: wake-up at the session's deadline; the node's clock decides whether its maximum duration is over. */
  public record Deadline() implements Command {}

  /**
   * From the {@link SessionReviver}: the read side says this session runs. Starting the entity is
   * the point (a running session resumes when it starts); a live one changes nothing, and one that
   * has ended meanwhile stops again at once.
   */
  public record Wake() implements Command {}

  /** Internal: a finished session woken by a read has been idle long enough to stop. */
  public record Idle() implements Command {}

  /**
   * Internal: the journal of a session started without replay (its replay failed too often), read
   * past its unreadable events; {@code read} is null when it could not be read ({@code error}).
   */
  public record JournalRead(SessionJournal.Read read, String error) implements Command {}

  /**
   * A user's message to a conversation: a new turn when it waits for input, queued (in order, up
   * to troupe.sessions.max-queued-messages) while a turn runs or waits for an approval. {@code
   * messageId} makes it safe to ask again: a message already taken answers as it did.
   */
  public record Message(String input, String messageId, ActorRef<Changed> replyTo) implements Command {}

  /** Ends a conversation that waits for input, as COMPLETED with its last answer. */
  public record Close(String by, ActorRef<Changed> replyTo) implements Command {}

  /** A person's decision on the tool call {@code callId} this session waits for. */
  public record Decide(String callId, boolean approve, String comment, String decidedBy, ActorRef<Changed> replyTo)
      implements Command {}

  /**
   * The answer to a Message, Close or Decide: the session after it, or why not ({@code refused}, a
   * conflict with its state; {@code unknown}, nothing of that name). For a message, {@code turn} is
   * the turn it starts or will start, {@code queued} whether it waits behind a running one.
   */
  public record Changed(SessionView view, int turn, boolean queued, String refused, String unknown)
      implements CborSerializable {
    static Changed ok(SessionView view) {
      return new Changed(view, 0, false, null, null);
    }

    static Changed refused(SessionView view, String why) {
      return new Changed(view, 0, false, why, null);
    }
  }

  /** Internal: a waiting session was idle long enough in memory; passivate unless it runs again. */
  public record WaitingIdle() implements Command {}

  /** Internal: the entity of a running session started again; park it, or ask its node's gate for a turn. */
  public record Resume() implements Command {}

  /** From the {@link ResumeGate}: this resumed session's turn to take its step. */
  public record ResumeAdmitted() implements Command {}

  /** From the {@link ResumeGate}: too many wait already; ask again later. */
  public record ResumeDeferred() implements Command {}

  public sealed interface Event extends CborSerializable {}

  /** {@code chain} is null in sessions journaled before chains were recorded: roots that no API key started. */
  public record SessionStarted(String agentName, AgentDefinition definition, String input, String userId,
                               Instant startedAt, CallChain chain) implements Event {}

  /**
   * {@code costUsd}: what the reply cost by the pricing table (0 when cached, unpriced, or journaled
   * before costs were); {@code droppedMessages}: how many older messages of the conversation were
   * left out of its request to fit the agent's context window (0: none).
   */
  public record LlmResponded(int iteration, String text, List<ToolCall> toolCalls, Usage usage, boolean cached,
                             boolean cacheable, long durationMillis, Instant at, double costUsd, int droppedMessages)
      implements Event {
    public LlmResponded(int iteration, String text, List<ToolCall> toolCalls, Usage usage, boolean cached,
                        boolean cacheable, long durationMillis, Instant at) {
      this(iteration, text, toolCalls, usage, cached, cacheable, durationMillis, at, 0.0, 0);
    }
  }

  public record ToolCallStarted(String callId, String name, String argumentsJson, Instant at) implements Event {}

  public record ToolCallCompleted(String callId, String name, boolean ok, String result, String error,
                                  long durationMillis, Instant at) implements Event {}

  /**
   * The session ended with an answer; a conversation ends so when it is closed ({@code closed}
   * "closed" by its owner, "idle" after troupe.sessions.idle-timeout), with its last answer.
   * {@code closed} is null for a session that ended with its answer.
   */
  public record SessionCompleted(String output, Instant at, String closed) implements Event {
    public SessionCompleted(String output, Instant at) {
      this(output, at, null);
    }
  }

  /** A message started turn {@code turn} of a conversation ({@code fromQueue}: it had waited behind the last). */
  public record TurnStarted(int turn, String input, boolean fromQueue, String messageId, Instant at) implements Event {}

  /** A message arrived while a turn ran: it waits, in order, and starts a turn when the running one ends. */
  public record InputQueued(String input, String messageId, Instant at) implements Event {}

  /**
   * A conversation's turn ended with {@code output}; it waits for the next message, and ends by
   * itself ("idle") at {@code idleDeadline} if none comes.
   */
  public record TurnCompleted(int turn, String output, Instant idleDeadline, Instant at) implements Event {}

  /** A tool call waits for a person's approval; rejected ({@value SessionState.Approval#TIMED_OUT}) at {@code deadline}. */
  public record ApprovalRequested(String callId, String tool, String argumentsJson, Instant deadline, Instant at)
      implements Event {}

  /** The decision on an approval: APPROVED, REJECTED, or TIMED_OUT (nobody decided in time). */
  public record ApprovalDecided(String callId, String decision, String decidedBy, String comment, Instant at)
      implements Event {}

  public record SessionFailed(boolean timedOut, String reason, Instant at) implements Event {}

  public record SessionCancelled(Instant at) implements Event {}

  /**
   * A running session was resumed (its entity started again) and is about to take its step;
   * {@code attempt} counts the resumes in a row with no step journaled since (1 for the first).
   */
  public record SessionResumed(int attempt, Instant at) implements Event {}

  /** A session resumed {@code attempts} times in a row without progress is parked: FAILED_RECOVERY. */
  public record SessionParked(int attempts, String reason, Instant at) implements Event {}

  /**
   * What live followers receive: an event with its sequence number, or a streamed token (seqNr 0).
   * Followers may be on other nodes, and {@code event} is typed by its interface, so it carries
   * its type's name (journaled events do not need one: the journal stores their class).
   */
  public record Announced(
      long seqNr,
      @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
      @JsonSubTypes({
          @JsonSubTypes.Type(value = SessionStarted.class, name = "SessionStarted"),
          @JsonSubTypes.Type(value = LlmResponded.class, name = "LlmResponded"),
          @JsonSubTypes.Type(value = ToolCallStarted.class, name = "ToolCallStarted"),
          @JsonSubTypes.Type(value = ToolCallCompleted.class, name = "ToolCallCompleted"),
          @JsonSubTypes.Type(value = SessionCompleted.class, name = "SessionCompleted"),
          @JsonSubTypes.Type(value = SessionFailed.class, name = "SessionFailed"),
          @JsonSubTypes.Type(value = SessionCancelled.class, name = "SessionCancelled"),
          @JsonSubTypes.Type(value = SessionResumed.class, name = "SessionResumed"),
          @JsonSubTypes.Type(value = SessionParked.class, name = "SessionParked"),
          @JsonSubTypes.Type(value = TurnStarted.class, name = "TurnStarted"),
          @JsonSubTypes.Type(value = InputQueued.class, name = "InputQueued"),
          @JsonSubTypes.Type(value = TurnCompleted.class, name = "TurnCompleted"),
          @JsonSubTypes.Type(value = ApprovalRequested.class, name = "ApprovalRequested"),
          @JsonSubTypes.Type(value = ApprovalDecided.class, name = "ApprovalDecided")})
      Event event,
      String token) implements CborSerializable {}

  // --- behavior ---

  private final String sessionId;
  private final ActorContext<Command> ctx;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final TimerScheduler<Command> timers;
  private final SessionServices services;
  private final SessionMetrics metrics;
  private final GovernanceMetrics governanceMetrics;
  private final org.apache.pekko.actor.ActorRef mediator;
  /** The one side effect in flight ("budget:N", "llm:N" or "tool:ID"); results for anything else are stale. */
  private String awaiting;
  private boolean countedActive;
  /** The model call whose cost is reserved on the budgets and not settled yet, or 0. */
  private int reservedIteration;
  /** The tag of all this session's events: its read-side slice ({@link Slices}). */
  private final java.util.Set<String> tags;
  private final java.time.Clock clock;
  private SessionState measuredState;
  private long measuredBytes;
  private final ActorRef<ResumeGate.Command> gate;
  private final int maxResumeAttempts;
  private final ConversationSettings conversations;
  /** This instance recovered before: a restart by the persist-failure supervisor, not a new incarnation. */
  private boolean recovered;
  /** Holds a turn of the {@link ResumeGate} until its first step after resuming is journaled. */
  private boolean holdsTurn;
  /**
   * Not null when this incarnation was started without replay, its replay having failed this
   * often on this node: it parks the session and answers from {@link #readState}.
   */
  private final SessionRecoveryFailures.Failures unreplayable;
  /**
   * The state of an unreplayable session, as read past its unreadable events (null until read):
   * the entity's own state is empty, having replayed nothing, so reads and cancels use this one.
   */
  private SessionState readState;

  private Session(String sessionId, ActorContext<Command> ctx, ActorRef<ClusterSharding.ShardCommand> shard,
                  TimerScheduler<Command> timers, SessionServices services, ActorRef<ResumeGate.Command> gate,
                  SessionRecoveryFailures.Failures unreplayable) {
    // A failed journal write, or a failed replay, restarts this instance in place, with backoff; at
    // the max-resume-attempts-th of those in a row it stops instead, and the reviver starts a new
    // incarnation, which (its replays having failed that often) starts without replay and parks it.
    super(PersistenceId.of(ENTITY_KEY.name(), sessionId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)
            .withMaxRestarts(maxResumeAttempts(ctx.getSystem()) - 1));
    this.unreplayable = unreplayable;
    this.sessionId = sessionId;
    this.ctx = ctx;
    this.shard = shard;
    this.timers = timers;
    this.services = services;
    this.metrics = SessionMetrics.get(ctx.getSystem());
    this.governanceMetrics = GovernanceMetrics.get(ctx.getSystem());
    this.mediator = DistributedPubSub.get(Adapter.toClassic(ctx.getSystem())).mediator();
    this.tags = java.util.Set.of(Slices.tag(TAG, persistenceId().id(), Slices.count(ctx.getSystem())));
    this.clock = io.troupe.runtime.node.NodeClock.get(ctx.getSystem()).clock();
    this.gate = gate;
    this.maxResumeAttempts = io.troupe.runtime.node.RuntimeSettings.get(ctx.getSystem()).sessions().resumes()
        .maxResumeAttempts();
    this.conversations = io.troupe.runtime.node.RuntimeSettings.get(ctx.getSystem()).sessions().conversations();
  }

  @Override
  public SessionState emptyState() {
    return SessionState.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, SessionState> commandHandler() {
    if (unreplayable != null) {
      return unreplayableCommandHandler();
    }
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Start.class, this::onStart)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), SessionView.of(sessionId, state, clock.instant())))
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(Step.class, this::onStep)
        .onCommand(BudgetChecked.class, this::onBudgetChecked)
        .onCommand(LlmDone.class, this::onLlmDone)
        .onCommand(ToolDone.class, this::onToolDone)
        .onCommand(Message.class, this::onMessage)
        .onCommand(Close.class, this::onClose)
        .onCommand(Decide.class, this::onDecide)
        .onCommand(WaitingIdle.class, (state, cmd) -> {
          if (state.status().waiting()) {
            shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
          }
          return Effect().noReply();
        })
        .onCommand(Wake.class, (state, cmd) -> {
          if (state.status().waiting()) {
            return onDeadline(state, new Deadline()); // woken for its deadline: ends the wait, or sleeps on
          }
          if (!state.running()) {
            shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
          }
          return Effect().noReply();
        })
        .onCommand(Idle.class, (state, cmd) -> {
          // Armed when the entity woke up not running; a Start since then makes it a live session.
          if (!state.running()) {
            shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
          }
          return Effect().noReply();
        })
        .onCommand(Deadline.class, this::onDeadline)
        .onCommand(Resume.class, this::onResume)
        .onCommand(ResumeAdmitted.class, this::onResumeAdmitted)
        .onCommand(ResumeDeferred.class, (state, cmd) -> {
          timers.startSingleTimer("resume", new Resume(), RESUME_RETRY);
          return Effect().noReply();
        })
        .build();
  }

  /**
   * The commands of an incarnation started without replay ({@link #unreplayable}): it reads its
   * journal past the unreadable events first (commands wait meanwhile), parks the session unless
   * it is parked or has ended already, and from then on answers reads and a cancel from that
   * state. Nothing runs.
   */
  private CommandHandlerWithReply<Command, Event, SessionState> unreplayableCommandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(JournalRead.class, (state, cmd) -> onJournalRead(cmd))
        .onCommand(Get.class, (state, cmd) -> readState == null ? Effect().stash()
            : Effect().reply(cmd.replyTo(), SessionView.of(sessionId, readState, clock.instant())))
        .onCommand(Start.class, (state, cmd) -> readState == null ? Effect().stash()
            : Effect().reply(cmd.replyTo(), StatusReply.success(new Started(sessionId, true))))
        .onCommand(Cancel.class, (state, cmd) -> readState == null ? Effect().stash() : onUnreplayableCancel(cmd))
        .onCommand(Message.class, (state, cmd) -> readState == null ? Effect().stash()
            : Effect().reply(cmd.replyTo(), Changed.refused(view(readState), parkedRefusal())))
        .onCommand(Close.class, (state, cmd) -> readState == null ? Effect().stash()
            : Effect().reply(cmd.replyTo(), Changed.refused(view(readState), parkedRefusal())))
        .onCommand(Decide.class, (state, cmd) -> readState == null ? Effect().stash()
            : Effect().reply(cmd.replyTo(), Changed.refused(view(readState), parkedRefusal())))
        .onCommand(Idle.class, (state, cmd) -> {
          shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
          return Effect().noReply();
        })
        .onAnyCommand((state, cmd) -> Effect().noReply());
  }

  private ReplyEffect<Event, SessionState> onJournalRead(JournalRead cmd) {
    if (cmd.read() == null) {
      // Not even read past its unreadable events (the database is away): stop; the reviver tries again.
      throw new IllegalStateException("session " + sessionId + ": its journal could not be read: " + cmd.error());
    }
    SessionState read = cmd.read().state();
    if (read.status() != SessionState.Status.RUNNING && read.status() != SessionState.Status.NEW) {
      readState = read; // parked before (or ended): answered as it is
      timers.startSingleTimer("passivate", new Idle(), PASSIVATE_FINISHED_AFTER);
      return Effect().none().thenNoReply().thenUnstashAll();
    }
    String reason = FAILED_RECOVERY + ": its journal could not be replayed " + unreplayable.count() + " times in a row"
        + " (last error: " + unreplayable.lastError() + "); started without replay and parked, nothing runs: cancel it";
    SessionParked parked = new SessionParked(unreplayable.count(), reason, now());
    return Effect().persist(parked).thenRun(s -> {
      readState = read.apply(parked);
      announce(List.of(parked));
      parked(readState);
    }).thenNoReply().thenUnstashAll();
  }

  private ReplyEffect<Event, SessionState> onUnreplayableCancel(Cancel cmd) {
    if (!readState.status().cancellable()) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(SessionView.of(sessionId, readState, clock.instant())));
    }
    SessionCancelled cancelled = new SessionCancelled(now());
    return Effect().persist(cancelled).thenRun(s -> {
      readState = readState.apply(cancelled);
      announce(List.of(cancelled));
      finished(readState);
    }).thenReply(cmd.replyTo(), s -> StatusReply.success(SessionView.of(sessionId, readState, clock.instant())));
  }

  /**
   * The session's deadline came (a timer, or the reviver's wake): what ends depends on what it
   * does. A running turn past troupe.sessions.max-duration fails TIMEOUT; an approval past its
   * agent's approvalTimeout is rejected (TIMED_OUT) and the model goes on; a conversation idle
   * past troupe.sessions.idle-timeout ends COMPLETED. Woken early, it sleeps on (a waiting one
   * out of memory: the reviver wakes it again after the deadline).
   */
  private ReplyEffect<Event, SessionState> onDeadline(SessionState state, Deadline cmd) {
    if (!state.running() && !state.status().waiting()) {
      return Effect().noReply();
    }
    Instant deadline = deadline(state);
    if (clock.instant().isBefore(deadline)) {
      scheduleDeadline(state); // woken early (the clock is behind the timer): sleep on
      if (state.status().waiting()) {
        timers.startSingleTimer("passivate", new WaitingIdle(), conversations.passivateWaitingAfter());
      }
      return Effect().noReply();
    }
    if (state.status() == SessionState.Status.AWAITING_APPROVAL) {
      SessionState.Approval approval = state.pendingApproval().orElseThrow();
      return persistThenContinue(decision(state, approval, SessionState.Approval.TIMED_OUT, null, null)).thenNoReply();
    }
    if (state.status() == SessionState.Status.WAITING_FOR_INPUT) {
      return persistThenContinue(List.of(new SessionCompleted(state.output(), now(), "idle"))).thenNoReply();
    }
    return persistThenContinue(List.of(new SessionFailed(true, "the session exceeded its maximum duration of "
        + services.maxDuration().toSeconds() + " s" + (state.turns().size() > 1 ? " in turn " + state.turns().size() : ""),
        now()))).thenNoReply();
  }

  /** When the current status ends by itself: its running time, its approval's timeout, its idle time. */
  private Instant deadline(SessionState s) {
    Instant since = s.since() != null ? s.since() : s.startedAt();
    return switch (s.status()) {
      case AWAITING_APPROVAL -> s.pendingApproval().map(SessionState.Approval::deadline)
          .orElse(since.plus(s.definition().approvalTimeout()));
      case WAITING_FOR_INPUT -> since.plus(conversations.idleTimeout());
      default -> since.plus(services.maxDuration());
    };
  }

  private SessionView view(SessionState s) {
    return SessionView.of(sessionId, s, clock.instant());
  }

  private static String parkedRefusal() {
    return "the session is parked (FAILED_RECOVERY): it takes no message or decision; cancel it";
  }

  // --- conversations and approvals ---

  private ReplyEffect<Event, SessionState> onMessage(SessionState state, Message cmd) {
    if (state.tookMessage(cmd.messageId())) {
      return Effect().reply(cmd.replyTo(), new Changed(view(state), state.turns().size(), false, null, null));
    }
    if (state.status() == SessionState.Status.NEW) {
      return Effect().reply(cmd.replyTo(), new Changed(null, 0, false, null, "no session " + sessionId + " is known"));
    }
    if (!state.definition().conversational()) {
      return Effect().reply(cmd.replyTo(), Changed.refused(view(state), "session " + sessionId + " is not a conversation:"
          + " agent " + state.agentName() + " is not defined with \"conversational\": true; start a new session"));
    }
    if (state.status().finished() || state.status() == SessionState.Status.FAILED_RECOVERY) {
      return Effect().reply(cmd.replyTo(), Changed.refused(view(state), "the conversation has ended (status "
          + state.status() + "); start a new session"));
    }
    if (state.status() == SessionState.Status.WAITING_FOR_INPUT) {
      int turn = state.turns().size() + 1;
      TurnStarted started = new TurnStarted(turn, cmd.input(), false, cmd.messageId(), now());
      return persistThenContinue(List.of(started))
          .thenReply(cmd.replyTo(), s -> new Changed(view(s), turn, false, null, null));
    }
    // Running, or waiting for an approval: the message waits its turn.
    if (state.queued().size() >= conversations.maxQueuedMessages()) {
      return Effect().reply(cmd.replyTo(), Changed.refused(view(state), state.queued().size()
          + " messages already wait for the running turn to end (troupe.sessions.max-queued-messages = "
          + conversations.maxQueuedMessages() + "); send this one after a turn_end"));
    }
    int turn = state.nextTurnNumber();
    InputQueued queued = new InputQueued(cmd.input(), cmd.messageId(), now());
    return Effect().persist(queued).thenRun(s -> announce(List.of(queued)))
        .thenReply(cmd.replyTo(), s -> new Changed(view(s), turn, true, null, null));
  }

  private ReplyEffect<Event, SessionState> onClose(SessionState state, Close cmd) {
    if (state.status() == SessionState.Status.NEW) {
      return Effect().reply(cmd.replyTo(), new Changed(null, 0, false, null, "no session " + sessionId + " is known"));
    }
    if (state.status().finished()) {
      return Effect().reply(cmd.replyTo(), Changed.ok(view(state))); // closed (or ended) already
    }
    if (!state.definition().conversational()) {
      return Effect().reply(cmd.replyTo(), Changed.refused(view(state), "session " + sessionId + " is not a"
          + " conversation; a one-shot session ends with its answer (cancel it to stop it)"));
    }
    if (state.status() != SessionState.Status.WAITING_FOR_INPUT || !state.queued().isEmpty()) {
      return Effect().reply(cmd.replyTo(), Changed.refused(view(state), "the conversation is " + state.status()
          + "; close it once its turn has ended (turn_end), or cancel it to stop it now"));
    }
    return persistThenContinue(List.of(new SessionCompleted(state.output(), now(), "closed")))
        .thenReply(cmd.replyTo(), s -> Changed.ok(view(s)));
  }

  private ReplyEffect<Event, SessionState> onDecide(SessionState state, Decide cmd) {
    if (state.status() == SessionState.Status.NEW) {
      return Effect().reply(cmd.replyTo(), new Changed(null, 0, false, null, "no session " + sessionId + " is known"));
    }
    java.util.Optional<SessionState.Approval> asked = state.approvals().stream()
        .filter(a -> a.callId().equals(cmd.callId())).reduce((first, second) -> second);
    if (asked.isEmpty()) {
      return Effect().reply(cmd.replyTo(), new Changed(view(state), 0, false, null, "session " + sessionId
          + " has no approval for tool call " + cmd.callId()));
    }
    SessionState.Approval approval = asked.get();
    if (!approval.pending()) {
      return Effect().reply(cmd.replyTo(), Changed.refused(view(state), "tool call " + cmd.callId() + " was decided"
          + " already: " + approval.decision() + (approval.decidedBy() != null ? " by " + approval.decidedBy() : "")
          + " at " + approval.decidedAt()));
    }
    if (state.status() != SessionState.Status.AWAITING_APPROVAL) {
      return Effect().reply(cmd.replyTo(), Changed.refused(view(state), "the session is " + state.status()
          + "; its approvals can no longer be decided"));
    }
    String decision = cmd.approve() ? SessionState.Approval.APPROVED : SessionState.Approval.REJECTED;
    return persistThenContinue(decision(state, approval, decision, cmd.decidedBy(), cmd.comment()))
        .thenReply(cmd.replyTo(), s -> Changed.ok(view(s)));
  }

  /**
   * The events of a decision. Approved, the call runs as any other (its start is journaled by the
   * next step). Rejected or timed out, the call is journaled as started and completed with an
   * error result saying who rejected it and why, which the model reads, and the session goes on.
   */
  private List<Event> decision(SessionState state, SessionState.Approval approval, String decision, String by,
                               String comment) {
    List<Event> events = new ArrayList<>();
    Instant at = now();
    events.add(new ApprovalDecided(approval.callId(), decision, by, comment, at));
    if (SessionState.Approval.APPROVED.equals(decision)) {
      return events;
    }
    String why = SessionState.Approval.TIMED_OUT.equals(decision)
        ? "rejected (reason: timeout): nobody decided within the approval timeout of "
            + state.definition().approvalTimeout().toSeconds() + " s"
        : "rejected by " + by + (comment == null || comment.isBlank() ? "" : ": " + comment);
    events.add(new ToolCallStarted(approval.callId(), approval.tool(), approval.argumentsJson(), at));
    events.add(new ToolCallCompleted(approval.callId(), approval.tool(), false, null,
        "the call was not run: " + why, 0, at));
    int max = state.definition().maxIterations();
    if (state.pending().size() == 1 && state.turnIterations() >= max) {
      events.add(new SessionFailed(false, "reached maxIterations (" + max + ") without a final answer", at));
    }
    return events;
  }

  private ReplyEffect<Event, SessionState> onStart(SessionState state, Start cmd) {
    if (state.status() != SessionState.Status.NEW) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(new Started(sessionId, true)));
    }
    CallChain chain = cmd.chain() != null ? cmd.chain() : CallChain.root(sessionId, cmd.agentName());
    Event started = new SessionStarted(cmd.agentName(), cmd.definition(), cmd.input(), cmd.userId(), now(), chain);
    return Effect().persist(started)
        .thenRun(s -> {
          announce(List.of(started));
          markActive(true);
          timers.cancel("passivate");
          scheduleDeadline(s);
          ctx.getSelf().tell(new Step());
        })
        .thenReply(cmd.replyTo(), s -> StatusReply.success(new Started(sessionId, false)));
  }

  /**
   * Parks the session if it was resumed too often without progress, else asks for its turn. Cancel
   * and Get are answered meanwhile: nothing waits for the turn but the step.
   */
  private ReplyEffect<Event, SessionState> onResume(SessionState state, Resume cmd) {
    if (!state.running() || !RESUMING.equals(awaiting)) {
      return Effect().noReply();
    }
    if (state.resumes() >= maxResumeAttempts) {
      awaiting = null;
      String reason = FAILED_RECOVERY + ": resumed " + state.resumes() + " times in a row without completing a step"
          + " (each time its entity or node stopped during it; troupe.sessions.max-resume-attempts is "
          + maxResumeAttempts + "); parked, nothing runs: cancel it";
      return persistThenContinue(List.of(new SessionParked(state.resumes(), reason, now()))).thenNoReply();
    }
    gate.tell(new ResumeGate.Enter(ctx.getSelf())); // asking again while waiting changes nothing there
    timers.startSingleTimer("resume", new Resume(), RESUME_REASK);
    return Effect().noReply();
  }

  /** The turn is journaled before the step, so a step that crashes the node still counts. */
  private ReplyEffect<Event, SessionState> onResumeAdmitted(SessionState state, ResumeAdmitted cmd) {
    if (!state.running() || !RESUMING.equals(awaiting)) {
      if (!holdsTurn) {
        gate.tell(new ResumeGate.Leave(ctx.getSelf())); // ended while it waited: the turn goes to the next
      }
      return Effect().noReply(); // or a repeated answer for the turn it holds
    }
    holdsTurn = true;
    awaiting = null;
    timers.cancel("resume");
    return persistThenContinue(List.of(new SessionResumed(state.resumes() + 1, now()))).thenNoReply();
  }

  private void leaveGate() {
    if (holdsTurn) {
      holdsTurn = false;
      gate.tell(new ResumeGate.Leave(ctx.getSelf()));
    }
  }

  private ReplyEffect<Event, SessionState> onCancel(SessionState state, Cancel cmd) {
    if (!state.status().cancellable()) {
      // Again for a finished one: its children were told when it ended, but a node may have died first.
      cancelChildren(state);
      return Effect().reply(cmd.replyTo(), StatusReply.success(SessionView.of(sessionId, state, clock.instant())));
    }
    return persistThenContinue(List.of(new SessionCancelled(now())))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(SessionView.of(sessionId, s, clock.instant())));
  }

  /** Decides the next step from the journaled state alone, so it is the same after a resume. */
  private ReplyEffect<Event, SessionState> onStep(SessionState state, Step cmd) {
    if (!state.running() || awaiting != null) {
      return Effect().noReply();
    }
    long held = heldBytes(state);
    if (held > services.limits().maxStateBytes()) {
      // Checked before every step, so a session resumed with a state this large ends here too.
      metrics.sessionLimits.labels("state_bytes").inc();
      return persistThenContinue(List.of(new SessionFailed(false, services.limits().stateTooLarge(held), now())))
          .thenNoReply();
    }
    if (!state.pending().isEmpty()) {
      ToolCall call = state.pending().get(0);
      if (state.started(call.id())) {
        runTool(state, call); // started before a crash: run again with the same call id
        return Effect().noReply();
      }
      List<ToolCall> reply = state.lastReply() == null || state.lastReply().toolCalls() == null
          ? state.pending() : state.lastReply().toolCalls();
      int ran = reply.size() - state.pending().size();
      if (ran >= services.limits().maxToolCallsPerReply()) {
        return refuseRest(state, reply.size());
      }
      if (state.definition().needsApproval(call.name()) && state.definition().tools().contains(call.name())
          && state.approvalOf(call.id()).isEmpty()) {
        Instant at = now();
        return persistThenContinue(List.of(new ApprovalRequested(call.id(), call.name(), call.argumentsJson(),
            at.plus(state.definition().approvalTimeout()), at))).thenNoReply();
      }
      awaiting = "tool:" + call.id();
      Event started = new ToolCallStarted(call.id(), call.name(), call.argumentsJson(), now());
      return Effect().persist(started).thenRun(s -> {
        announce(List.of(started));
        runTool(s, call);
      }).thenNoReply();
    }
    callModel(state);
    return Effect().noReply();
  }

  /**
   * The calls of this reply beyond {@link SessionLimits#maxToolCallsPerReply}, all at once: each is
   * journaled as started and completed with an error result (so the model sees why, and a resume
   * does not run it), in one write.
   */
  private ReplyEffect<Event, SessionState> refuseRest(SessionState state, int callsInReply) {
    List<Event> events = new ArrayList<>();
    int position = callsInReply - state.pending().size();
    for (ToolCall call : state.pending()) {
      position++;
      events.add(new ToolCallStarted(call.id(), call.name(), call.argumentsJson(), now()));
      events.add(new ToolCallCompleted(call.id(), call.name(), false, null,
          services.limits().refusedCall(position, callsInReply), 0, now()));
    }
    metrics.sessionLimits.labels("tool_calls_per_reply").inc(state.pending().size());
    int max = state.definition().maxIterations();
    if (state.turnIterations() >= max) {
      events.add(new SessionFailed(false, "reached maxIterations (" + max + ") without a final answer", now()));
    }
    return persistThenContinue(events).thenNoReply();
  }

  /** {@link SessionState#heldBytes()}, counted once per state (a step may be asked for twice). */
  private long heldBytes(SessionState state) {
    if (state != measuredState) {
      measuredState = state;
      measuredBytes = state.heldBytes();
    }
    return measuredBytes;
  }

  private void callModel(SessionState state) {
    int iteration = state.iterations() + 1;
    awaiting = "llm:" + iteration;
    AgentDefinition def = state.definition();
    LlmRequest request = request(state);
    Optional<LlmProvider> provider = provider(def);
    if (provider.isEmpty()) {
      ctx.getSelf().tell(new LlmDone(iteration, null, false, false, 0, "no model provider named " + def.provider()));
      return;
    }
    if (cacheable(def, request)) {
      Optional<LlmResponse> hit = services.cache().get(provider.get().name(), request);
      if (hit.isPresent()) {
        ctx.getSelf().tell(new LlmDone(iteration, hit.get(), true, true, 0, null)); // a cached reply costs nothing
        return;
      }
    }
    PricingTable.Cost estimate = services.costs().estimate(request);
    if (estimate.costUsd() <= 0) {
      invokeModel(iteration, def, request); // unpriced: counted in tokens only, nothing to reserve
      return;
    }
    awaiting = "budget:" + iteration;
    ctx.pipeToSelf(services.costs().budgets().reserve(SessionBudget.subjects(state),
            SessionBudget.reservationId(sessionId, iteration), estimate.costUsd()),
        (verdicts, failure) -> new BudgetChecked(iteration, verdicts, failure == null ? null : rootMessage(failure)));
  }

  private ReplyEffect<Event, SessionState> onBudgetChecked(SessionState state, BudgetChecked checked) {
    boolean granted = checked.error() == null && checked.verdicts().stream().allMatch(Budget.Verdict::granted);
    if (!state.running() || !("budget:" + checked.iteration()).equals(awaiting)) {
      // Stale. Only a finished session releases: a running one may be using this reservation id
      // again (the same step asked twice across a restart) for the call it is making.
      if (granted && !state.running()) {
        settle(state, checked.iteration(), 0.0);
      }
      return Effect().noReply();
    }
    if (granted) {
      awaiting = "llm:" + checked.iteration();
      reservedIteration = checked.iteration();
      invokeModel(checked.iteration(), state.definition(), request(state));
      return Effect().noReply();
    }
    awaiting = null;
    String reason;
    if (checked.error() != null) {
      // Fail closed: spending without a reservation could pass a limit.
      reason = BUDGET_UNAVAILABLE + ": the budgets could not be checked (" + checked.error() + ")";
    } else {
      governanceMetrics.budgetRejections.inc();
      Budget.Verdict denied = checked.verdicts().stream().filter(v -> !v.granted()).findFirst().orElseThrow();
      reason = SessionBudget.refusal(denied);
    }
    return persistThenContinue(List.of(new SessionFailed(false, reason, now()))).thenNoReply();
  }

  private void invokeModel(int iteration, AgentDefinition def, LlmRequest request) {
    LlmProvider provider = provider(def).orElseThrow();
    boolean cacheable = cacheable(def, request);
    long start = System.nanoTime();
    ctx.pipeToSelf(provider.complete(request, this::announceToken), (response, failure) -> {
      long millis = (System.nanoTime() - start) / 1_000_000;
      return failure == null
          ? new LlmDone(iteration, response, false, cacheable, millis, null)
          : new LlmDone(iteration, null, false, cacheable, millis, rootMessage(failure));
    });
  }

  /** How many older messages the last request built for this iteration left out (the context window). */
  private int droppedMessages;
  private int droppedIteration;

  private int droppedFor(int iteration) {
    return droppedIteration == iteration ? droppedMessages : 0;
  }

  /**
   * The next model request: the conversation as far as it fits the agent's context window (its
   * {@code contextWindowTokens}, else the model's from the pricing table, else 128k), with room
   * for the reply. Older turns left out are counted in the reply's event ({@link
   * LlmResponded#droppedMessages}).
   */
  private LlmRequest request(SessionState state) {
    if (state == requestState) {
      return lastRequest; // the same step asks again (budget answer, cache): the window is fitted once
    }
    AgentDefinition def = state.definition();
    var schemas = services.tools().schemas(def.tools());
    // The reply is capped at the output the budget estimate reserves, so no call costs more output than reserved.
    int maxOutput = (int) Math.min(Integer.MAX_VALUE, services.costs().defaultOutputTokens());
    long window = def.contextWindowTokens() > 0 ? def.contextWindowTokens()
        : services.costs().pricing().contextWindowTokensOf(def.model());
    io.troupe.runtime.llm.ContextWindow.Fit fit = new io.troupe.runtime.llm.ContextWindow(window, maxOutput,
        services.costs().estimator()).fit(state.conversation(), schemas);
    int omittedReplies = 0;
    if (fit.truncated()) {
      long sent = fit.messages().stream().filter(m -> "assistant".equals(m.role())).count();
      long all = state.conversation().stream().filter(m -> "assistant".equals(m.role())).count();
      omittedReplies = (int) (all - sent);
    }
    droppedIteration = state.iterations() + 1;
    droppedMessages = fit.droppedMessages();
    requestState = state;
    lastRequest = new LlmRequest(def.model(), fit.messages(), schemas, def.temperature(), services.llmTimeout(),
        maxOutput, omittedReplies);
    return lastRequest;
  }

  /** The state {@link #lastRequest} was built from. */
  private SessionState requestState;
  private LlmRequest lastRequest;

  /**
   * The scripted provider's replies depend on the agent's script, which no cache key holds; they
   * are instant and deterministic anyway, so they are never cached.
   */
  private static boolean cacheable(AgentDefinition def, LlmRequest request) {
    return ResponseCache.cacheable(request) && !ScriptedProvider.NAME.equals(def.provider());
  }

  private void settle(SessionState state, int iteration, double actualUsd) {
    services.costs().budgets().settle(SessionBudget.subjects(state), SessionBudget.reservationId(sessionId, iteration),
        actualUsd);
  }

  private Optional<LlmProvider> provider(AgentDefinition def) {
    if (ScriptedProvider.NAME.equals(def.provider())) {
      return Optional.of(new ScriptedProvider(def.script().stream()
          .map(r -> new ScriptedProvider.Reply(r.text(), r.toolCalls().stream()
              .map(c -> new ScriptedProvider.Call(c.name(), c.argumentsJson())).toList()))
          .toList()));
    }
    return Optional.ofNullable(services.providers().get(def.provider()));
  }

  private ReplyEffect<Event, SessionState> onLlmDone(SessionState state, LlmDone done) {
    boolean reserved = reservedIteration == done.iteration();
    if (reserved) {
      reservedIteration = 0;
    }
    double actualUsd = done.response() == null || done.cached() ? 0.0
        : services.costs().pricing().cost(state.definition().model(), done.response().usage().inputTokens(),
            done.response().usage().outputTokens()).costUsd();
    if (!state.running() || !("llm:" + done.iteration()).equals(awaiting)) {
      if (reserved) { // cancelled during the call: it was made all the same
        settle(state, done.iteration(), actualUsd);
      }
      return Effect().noReply(); // stale: cancelled, or a reply from before a restart
    }
    awaiting = null;
    AgentDefinition def = state.definition();
    recordModelCall(def, done, actualUsd);
    List<Event> events = new ArrayList<>();
    if (done.error() != null) {
      events.add(new SessionFailed(false, "model call failed: " + done.error(), now()));
    } else {
      if (done.cacheable() && !done.cached()) {
        provider(def).ifPresent(p -> services.cache().put(p.name(), request(state), done.response()));
      }
      LlmResponse r = done.response();
      events.add(new LlmResponded(done.iteration(), r.text(), r.toolCalls(), r.usage(), done.cached(), done.cacheable(),
          done.durationMillis(), now(), actualUsd, droppedFor(done.iteration())));
      if (r.toolCalls().isEmpty() && !def.conversational()) {
        events.add(new SessionCompleted(r.text(), now()));
      } else if (r.toolCalls().isEmpty()) {
        // A conversation's turn ends; the next message (or the first one queued meanwhile) starts another.
        Instant at = now();
        events.add(new TurnCompleted(state.turns().size(), r.text(), at.plus(conversations.idleTimeout()), at));
        if (!state.queued().isEmpty()) {
          events.add(new TurnStarted(state.turns().size() + 1, state.queued().get(0), true, null, at));
        }
      }
    }
    var effect = persistThenContinue(events);
    if (reserved) {
      // Settled once the reply is journaled: if that write fails, the step runs again under the
      // same (still open) reservation; if the node dies first, the reservation expires at its estimate.
      effect = effect.thenRun(s -> settle(s, done.iteration(), actualUsd));
    }
    return effect.thenNoReply();
  }

  private void runTool(SessionState state, ToolCall call) {
    awaiting = "tool:" + call.id();
    AgentDefinition def = state.definition();
    if (!def.tools().contains(call.name())) {
      ctx.getSelf().tell(new ToolDone(call.id(), false, null, "tool " + call.name()
          + " is not available to this agent; its tools are " + def.tools(), 0));
      return;
    }
    ToolContext context = new ToolContext(sessionId, state.agentName(), idempotencyKey(state, call),
        Duration.ofSeconds(def.toolTimeoutSeconds()), state.userId(), state.chainOf(sessionId));
    ctx.pipeToSelf(services.tools().invoke(call.name(), call.argumentsJson(), context), (outcome, failure) ->
        failure == null
            ? new ToolDone(call.id(), outcome.ok(), outcome.result(), outcome.error(), outcome.durationMillis())
            : new ToolDone(call.id(), false, null, rootMessage(failure), 0));
  }

  /**
   * The call id a tool sees: "{sessionId}/{model's call id}", the same on every retry. A model may
   * repeat a call id of an earlier reply (servers that omit ids); that later call gets its reply's
   * iteration too, so tools keyed on it (publish_to_topic, call_agent) do not take it for the first.
   */
  private String idempotencyKey(SessionState state, ToolCall call) {
    return idempotencyKey(sessionId, state.toolCalls(), call.id(), state.iterations());
  }

  /** {@link #idempotencyKey(SessionState, ToolCall)} of the call {@code callId} of the reply {@code iteration}. */
  static String idempotencyKey(String sessionId, List<SessionState.ToolCallRecord> calls, String callId, int iteration) {
    boolean repeated = calls.stream().anyMatch(c -> c.callId().equals(callId) && c.iteration() < iteration);
    return sessionId + "/" + (repeated ? iteration + "/" : "") + callId;
  }

  /**
   * Cancels the sessions this one's {@code call_agent} calls started that may still run: the call
   * in flight, and any that failed (a call that gave up waiting leaves its child running). Each
   * child cancels its own children in turn, so a whole call tree stops. Completed calls are
   * skipped: their children completed before the call did.
   */
  private void cancelChildren(SessionState state) {
    for (SessionState.ToolCallRecord call : state.toolCalls()) {
      if (CallAgentTool.NAME.equals(call.name()) && !SessionState.ToolCallRecord.OK.equals(call.outcome())) {
        CallAgentTool.calledAgent(call.argumentsJson()).ifPresent(agent -> Sessions.get(ctx.getSystem())
            .cancelChild(Sessions.childSessionId(agent, sessionId,
                idempotencyKey(sessionId, state.toolCalls(), call.callId(), call.iteration()))));
      }
    }
  }

  private ReplyEffect<Event, SessionState> onToolDone(SessionState state, ToolDone done) {
    if (!state.running() || !("tool:" + done.callId()).equals(awaiting)) {
      return Effect().noReply();
    }
    awaiting = null;
    String name = state.pending().stream().filter(c -> c.id().equals(done.callId())).map(ToolCall::name)
        .findFirst().orElse("unknown");
    // The name comes from the model (or a script): only registered tool names become label values.
    String toolLabel = services.tools().get(name).isPresent() ? name : "unknown";
    metrics.agentToolCalls.labels(metrics.agentLabel.of(state.agentName()), toolLabel, done.ok() ? "ok" : "error").inc();
    // Kept (state, journal, the model's next request) only up to the bound, cut with a marker.
    String result = services.limits().capToolResult(done.result());
    String error = services.limits().capToolResult(done.error());
    if (result != done.result() || error != done.error()) {
      metrics.sessionLimits.labels("tool_result_bytes").inc();
    }
    List<Event> events = new ArrayList<>();
    events.add(new ToolCallCompleted(done.callId(), name, done.ok(), result, error, done.durationMillis(), now()));
    boolean lastOfReply = state.pending().size() == 1;
    int max = state.definition().maxIterations();
    if (lastOfReply && state.turnIterations() >= max) {
      events.add(new SessionFailed(false, "reached maxIterations (" + max + ") without a final answer", now()));
    }
    return persistThenContinue(events).thenNoReply();
  }

  /** Persists, tells live followers, then takes the next step or wraps up. */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, SessionState> persistThenContinue(List<Event> events) {
    return Effect().persist(events).thenRun(s -> {
      announce(events);
      countWaits(s, events);
      if (!s.running() || events.stream().anyMatch(e -> e instanceof LlmResponded || e instanceof ToolCallCompleted)) {
        leaveGate(); // a resumed session's first step is journaled (or it ended): the next may resume
      }
      if (s.running()) {
        markActive(true);
        timers.cancel("passivate");
        ctx.getSelf().tell(new Step());
      } else if (s.status().waiting()) {
        waiting(s);
      } else if (s.status() == SessionState.Status.FAILED_RECOVERY) {
        parked(s);
      } else {
        finished(s);
      }
    });
  }

  /**
   * Waits for a person (the next message, or a decision): nothing runs, the deadline is armed, and
   * the entity leaves memory after troupe.sessions.passivate-waiting-after; a message or decision
   * starts it again anywhere, and the reviver wakes it at its deadline.
   */
  private void waiting(SessionState s) {
    markActive(false);
    scheduleDeadline(s);
    timers.startSingleTimer("passivate", new WaitingIdle(), conversations.passivateWaitingAfter());
  }

  /** Turns and approvals in metrics, once their events are journaled. */
  private void countWaits(SessionState after, List<Event> events) {
    for (Event e : events) {
      String agent = metrics.agentLabel.of(agentOf(after));
      if (e instanceof TurnStarted) {
        metrics.turns.labels(agent).inc();
      } else if (e instanceof ApprovalRequested) {
        metrics.approvals.labels(agent, "requested").inc();
        // The decision's series exist (at 0) from the request on, so a first decision shows as a rate.
        List.of("approved", "rejected", "timed_out").forEach(outcome -> metrics.approvals.labels(agent, outcome));
        metrics.approvalWait.labels(agent);
      } else if (e instanceof ApprovalDecided d) {
        metrics.approvals.labels(agent, d.decision().toLowerCase(java.util.Locale.ROOT)).inc();
        after.approvals().stream().filter(a -> a.callId().equals(d.callId()) && d.at().equals(a.decidedAt()))
            .findFirst().ifPresent(a -> metrics.approvalWait.labels(agent)
                .observe(Math.max(0, Duration.between(a.requestedAt(), d.at()).toMillis()) / 1000.0));
      }
    }
  }

  private void parked(SessionState s) {
    metrics.sessionsParked.labels(metrics.agentLabel.of(agentOf(s))).inc();
    if (unreplayable != null) {
      ctx.getLog().warn("Session {} of agent {} parked (FAILED_RECOVERY) after its journal could not be replayed {}"
          + " times", sessionId, agentOf(s), unreplayable.count());
    } else {
      ctx.getLog().warn("Session {} of agent {} parked (FAILED_RECOVERY) after {} resumes without progress",
          sessionId, agentOf(s), s.resumes());
    }
    markActive(false);
    timers.cancel("deadline");
    cancelChildren(s); // nothing of it runs any more, its call_agent children neither
    // Parked: stop; not RUNNING any more, the reviver does not bring it back; a cancel or read wakes it.
    shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
  }

  /** The session's agent; when its start cannot be read, the one its id names. */
  private String agentOf(SessionState s) {
    if (s.agentName() != null) {
      return s.agentName();
    }
    return SessionIds.valid(sessionId) ? SessionIds.agentOf(sessionId) : "unknown";
  }

  private void finished(SessionState s) {
    String agent = metrics.agentLabel.of(agentOf(s));
    metrics.agentSessions.labels(agent, s.status().name()).inc();
    metrics.agentIterations.labels(agent).observe(s.iterations());
    if (s.startedAt() != null && s.endedAt() != null) {
      metrics.agentDuration.labels(agent).observe(Duration.between(s.startedAt(), s.endedAt()).toMillis() / 1000.0);
    }
    markActive(false);
    timers.cancel("deadline");
    cancelChildren(s);
    // Done: stop; not RUNNING any more, the reviver does not bring it back.
    shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
  }

  private void recordModelCall(AgentDefinition def, LlmDone done, double costUsd) {
    String provider = def.provider();
    String model = metrics.modelLabel.of(def.model());
    String outcome = done.error() != null ? "error" : done.cached() ? "cached" : "ok";
    metrics.llmRequests.labels(provider, model, outcome).inc();
    if (done.cacheable()) {
      (done.cached() ? metrics.llmCacheHits : metrics.llmCacheMisses).inc();
    }
    if (!done.cached()) {
      metrics.llmDuration.labels(provider, model).observe(done.durationMillis() / 1000.0);
    }
    if (done.response() != null && !done.cached()) {
      metrics.llmTokens.labels(provider, model, "input").inc(done.response().usage().inputTokens());
      metrics.llmTokens.labels(provider, model, "output").inc(done.response().usage().outputTokens());
      governanceMetrics.apiCostDollars.labels(model).inc(costUsd);
    }
  }

  private void announce(List<Event> events) {
    long last = lastSequenceNumber(ctx);
    for (int i = 0; i < events.size(); i++) {
      long seqNr = last - (events.size() - 1 - i);
      mediator.tell(new DistributedPubSubMediator.Publish(liveFeed(sessionId), new Announced(seqNr, events.get(i), null)),
          org.apache.pekko.actor.ActorRef.noSender());
    }
  }

  private void announceToken(String token) {
    mediator.tell(new DistributedPubSubMediator.Publish(liveFeed(sessionId), new Announced(0, null, token)),
        org.apache.pekko.actor.ActorRef.noSender());
  }

  private void scheduleDeadline(SessionState s) {
    Duration left = Duration.between(clock.instant(), deadline(s));
    timers.startSingleTimer("deadline", new Deadline(), left.isNegative() ? Duration.ZERO : left);
  }

  private void markActive(boolean active) {
    if (active && !countedActive) {
      metrics.activeAgents.inc();
    } else if (!active && countedActive) {
      metrics.activeAgents.dec();
    }
    countedActive = active;
  }

  @Override
  public SignalHandler<SessionState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (unreplayable != null) {
            // Nothing replayed: read what can be read of the journal, then park (onJournalRead).
            ctx.pipeToSelf(SessionJournal.read(ctx.getSystem(), persistenceId().id()),
                (read, failure) -> new JournalRead(read, failure == null ? null : rootMessage(failure)));
            return;
          }
          SessionRecoveryFailures.get(ctx.getSystem()).replayed(sessionId);
          // After a restart by the persist-failure supervisor this instance is reused: nothing is
          // in flight any more (a failed persist of ToolCallStarted must not leave it "awaiting").
          awaiting = null;
          if (state.status().waiting()) {
            waiting(state); // a decision or a message woke it, or its deadline: nothing to resume
            recovered = true;
            return;
          }
          if (state.running()) {
            markActive(true);
            scheduleDeadline(state);
            if (recovered) {
              ctx.getSelf().tell(new Step()); // the same incarnation after a failed write: go on
            } else {
              awaiting = RESUMING; // a new incarnation of a running session: counted, and it waits for a turn
              ctx.getSelf().tell(new Resume());
            }
          } else {
            // Woken by a read (finished, parked, or never started): stop again after a while.
            timers.startSingleTimer("passivate", new Idle(), PASSIVATE_FINISHED_AFTER);
          }
          recovered = true;
        })
        .onSignal(PostStop.instance(), state -> markActive(false)) // the gate watches it: its turn ends too
        .onSignal(RecoveryFailed.class, (state, failed) -> onRecoveryFailed(failed.getFailure()))
        .build();
  }

  /**
   * Counts a failed replay on this node ({@link SessionRecoveryFailures}); Pekko then restarts this
   * instance (the persist-failure backoff), and after max-resume-attempts of those it stops and its
   * reviver starts an incarnation that does not replay. A journal that could not be reached is not counted.
   */
  private void onRecoveryFailed(Throwable cause) {
    if (cause.getClass().getSimpleName().equals("JournalFailureException")) {
      return; // Pekko signals a failed replay twice, the second time with its own wrapper of the first
    }
    if (!SessionRecoveryFailures.replayError(cause)) {
      ctx.getLog().warn("Session {}: its journal could not be read ({}); not counted as a failed replay", sessionId,
          SessionRecoveryFailures.message(cause));
      return;
    }
    SessionRecoveryFailures.Failures failures = SessionRecoveryFailures.get(ctx.getSystem()).failed(sessionId, cause);
    ctx.getLog().warn("Session {}: replaying its journal failed (attempt {}; parked after {}): {}", sessionId,
        failures.count(), maxResumeAttempts, failures.lastError());
  }

  /**
   * A session snapshots its state every troupe.sessions.snapshot-every events, so that a long one
   * recovers from its latest snapshot and the events after it. The snapshot is the state after
   * the event that triggered it, the same state replaying up to that event gives, so a resume from
   * it runs the same next step (what is in flight, e.g. a started tool call, is in that state).
   * Recovery asks for the latest snapshot; with snapshots off it asks for none, which Pekko's
   * snapshot store answers without a query, one database round trip less in every session's first
   * step (and every resume).
   */
  @Override
  public org.apache.pekko.persistence.typed.javadsl.Recovery recovery() {
    if (unreplayable != null) {
      // Replays nothing, but still reads the highest sequence number: new events follow the last.
      return org.apache.pekko.persistence.typed.javadsl.Recovery.disabled();
    }
    return org.apache.pekko.persistence.typed.javadsl.Recovery.withSnapshotSelectionCriteria(snapshotEvery() > 0
        ? org.apache.pekko.persistence.typed.SnapshotSelectionCriteria.latest()
        : org.apache.pekko.persistence.typed.SnapshotSelectionCriteria.none());
  }

  /**
   * Snapshots only bound recovery: events are never deleted (no {@code withDeleteEventsOnSnapshot}),
   * since a session's views and event stream ({@link SessionJournal}, {@code Sessions.view}, SSE)
   * and the unreplayable path fold its whole journal. The latest 2 snapshots are kept. An
   * incarnation started without replay takes none: its own state is empty, not the session's.
   */
  @Override
  public org.apache.pekko.persistence.typed.javadsl.RetentionCriteria retentionCriteria() {
    int every = snapshotEvery();
    return every > 0 && unreplayable == null
        ? org.apache.pekko.persistence.typed.javadsl.RetentionCriteria.snapshotEvery(every, 2)
        : org.apache.pekko.persistence.typed.javadsl.RetentionCriteria.disabled();
  }

  private int snapshotEvery() {
    return io.troupe.runtime.node.RuntimeSettings.get(ctx.getSystem()).sessions().snapshotEvery();
  }

  /** Base tag of session events, read by the agent_session and cost projections: "session-<slice>". */
  public static final String TAG = "session";

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public EventHandler<SessionState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(SessionState::apply);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException || t.getCause() != null && t.getMessage() == null)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
