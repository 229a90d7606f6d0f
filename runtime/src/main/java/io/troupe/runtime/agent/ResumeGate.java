package io.troupe.runtime.agent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A node's admission of resumed sessions. After a restart every running session comes back at
 * once (woken by the {@link SessionReviver}); each asks here for a turn before its first step, and at most
 * {@code concurrency} hold one at a time, so that the node does not take up all their work (and
 * the memory it needs) in the same moment. A turn ends when the session says its first step is
 * journaled, or it stops, or after {@code turnTimeout}, whichever comes first; then the next
 * waiting session, in order of asking, gets it.
 *
 * <p>Sessions on this node only: nothing here crosses nodes. At most {@link #MAX_WAITING} wait;
 * beyond that a session is told to ask again a second later ({@link Session.ResumeDeferred}).
 */
public final class ResumeGate {

  /** More waiting than this is unlikely on one node; past it, sessions ask again a second later. */
  static final int MAX_WAITING = 10_000;

  public sealed interface Command {}

  /** A resumed session asks for its turn; answered with {@link Session.ResumeAdmitted} when it has it. */
  public record Enter(ActorRef<Session.Command> session) implements Command {}

  /** The session's first step after resuming is journaled, or it ended: its turn is over. */
  public record Leave(ActorRef<Session.Command> session) implements Command {}

  private record TurnOver(ActorRef<Session.Command> session) implements Command {}

  private record Stopped(ActorRef<Session.Command> session) implements Command {}

  /** This node's gate, with the node's settings (troupe.sessions.resume-*). */
  public static ActorRef<Command> get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system).ref;
  }

  static Behavior<Command> create(int concurrency, Duration turnTimeout, SessionMetrics metrics) {
    return create(concurrency, turnTimeout, MAX_WAITING, metrics);
  }

  static Behavior<Command> create(int concurrency, Duration turnTimeout, int maxWaiting, SessionMetrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ResumeGate(ctx, timers, concurrency, turnTimeout, maxWaiting, metrics).behavior()));
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final int concurrency;
  private final Duration turnTimeout;
  private final int maxWaiting;
  private final SessionMetrics metrics;
  private final Set<ActorRef<Session.Command>> holding = new HashSet<>();
  private final Deque<ActorRef<Session.Command>> waiting = new ArrayDeque<>();
  private final Set<ActorRef<Session.Command>> waitingSet = new HashSet<>();

  private ResumeGate(ActorContext<Command> ctx, TimerScheduler<Command> timers, int concurrency, Duration turnTimeout,
                     int maxWaiting, SessionMetrics metrics) {
    this.ctx = ctx;
    this.timers = timers;
    this.concurrency = concurrency;
    this.turnTimeout = turnTimeout;
    this.maxWaiting = maxWaiting;
    this.metrics = metrics;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Enter.class, m -> {
          enter(m.session());
          return Behaviors.same();
        })
        .onMessage(Leave.class, m -> {
          leave(m.session());
          return Behaviors.same();
        })
        .onMessage(TurnOver.class, m -> {
          leave(m.session()); // it keeps running; it just no longer keeps others waiting
          return Behaviors.same();
        })
        .onMessage(Stopped.class, m -> {
          if (waitingSet.remove(m.session())) {
            waiting.remove(m.session());
          }
          leave(m.session());
          return Behaviors.same();
        })
        .build();
  }

  private void enter(ActorRef<Session.Command> session) {
    if (holding.contains(session)) {
      session.tell(new Session.ResumeAdmitted()); // asked again (a lost answer): it has its turn
      return;
    }
    if (waitingSet.contains(session)) {
      return;
    }
    if (holding.size() < concurrency) {
      ctx.watchWith(session, new Stopped(session));
      admit(session);
    } else if (waiting.size() < maxWaiting) {
      ctx.watchWith(session, new Stopped(session));
      waiting.add(session);
      waitingSet.add(session);
    } else {
      session.tell(new Session.ResumeDeferred());
    }
    metrics.resumesWaiting.set(waiting.size());
  }

  private void admit(ActorRef<Session.Command> session) {
    holding.add(session);
    timers.startSingleTimer(session, new TurnOver(session), turnTimeout);
    session.tell(new Session.ResumeAdmitted());
  }

  private void leave(ActorRef<Session.Command> session) {
    if (holding.remove(session)) {
      timers.cancel(session);
      ctx.unwatch(session);
    }
    while (holding.size() < concurrency && !waiting.isEmpty()) {
      ActorRef<Session.Command> next = waiting.poll();
      waitingSet.remove(next);
      admit(next);
    }
    metrics.resumesWaiting.set(waiting.size());
  }

  /** Extension id: one gate per ActorSystem, a system actor started at the first call. */
  static final class Id extends ExtensionId<Holder> {
    private static final Id INSTANCE = new Id();

    @Override
    public Holder createExtension(ActorSystem<?> system) {
      ResumeSettings settings = io.troupe.runtime.node.RuntimeSettings.get(system).sessions().resumes();
      // Restarted if it ever fails: its holders' turns are forgotten, and waiting sessions ask again.
      return new Holder(system.systemActorOf(Behaviors.supervise(
              create(settings.concurrency(), settings.turnTimeout(), SessionMetrics.get(system)))
          .onFailure(org.apache.pekko.actor.typed.SupervisorStrategy.restart()),
          "session-resume-gate", Props.empty()));
    }
  }

  /** The gate's ref, held as the extension. */
  record Holder(ActorRef<Command> ref) implements Extension {}
}
