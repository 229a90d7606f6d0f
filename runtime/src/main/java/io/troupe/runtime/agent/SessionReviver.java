package io.troupe.runtime.agent;

import io.troupe.runtime.readside.SessionQueries;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Brings back running sessions whose entity is gone. Sessions are not remembered entities: with
 * remember-entities every session's start and stop was a write to its shard's store, and a new
 * session's first message waited for it (measured in BENCHMARKS.md, issue 12: it dominated a
 * session's first step under load, and every moved shard restarted all its remembered sessions at
 * once). Instead one node (a cluster singleton) reads the running sessions from the read side
 * ({@code agent_session}, status RUNNING, unless the session's last journaled event ended it: the
 * read side trails the journal) and sends each a {@link Session.Wake}: a session whose
 * entity is gone starts, replays its journal and resumes (through its node's {@link ResumeGate});
 * one that is live ignores it.
 *
 * <p>When it looks: when it starts (the cluster started again, or the singleton's node went and
 * it moved), when a member is removed (its sessions are woken where their shards now live), and
 * every {@code interval} for sessions started at least {@code interval} ago (an entity that
 * crashed in a step; and sessions whose start the read side had not yet seen at an earlier
 * sweep). The read side trails the journal by about a second, so a session started just before
 * its node crashed comes back at a periodic sweep, within two intervals.
 *
 * <p>Sessions that wait for a person (a conversation's next message, a tool call's approval) are
 * out of memory while they wait; each sweep also wakes those whose wait is past its deadline
 * ({@code agent_session.wake_at}: an idle conversation ends, an approval times out), one page of
 * them a sweep.
 *
 * <p>Bounded: {@value #PAGE} ids a query, at most {@value #MAX_PER_SWEEP} woken a sweep (the next
 * sweep goes on from there), one sweep at a time (a sweep asked for meanwhile runs after it).
 */
public final class SessionReviver {

  static final int PAGE = 1_000;
  static final int MAX_PER_SWEEP = 20_000;

  public sealed interface Command {}

  /** Look for running sessions; {@code all}: whatever their age (a start, a member gone). */
  private record Sweep(boolean all) implements Command {}

  private record Found(List<String> ids, Throwable failure) implements Command {}

  private record DueFound(List<String> ids, Throwable failure) implements Command {}

  /** Starts the cluster's reviver (on the oldest node); every node calls this, as for any singleton. */
  public static void init(ActorSystem<?> system, SessionQueries queries, Duration interval, Clock clock) {
    ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(create(queries, interval, clock)).onFailure(SupervisorStrategy.restart()),
        "session-reviver"));
  }

  static Behavior<Command> create(SessionQueries queries, Duration interval, Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberRemoved.class, removed -> new Sweep(true)),
          ClusterEvent.MemberRemoved.class));
      timers.startTimerWithFixedDelay(new Sweep(false), interval);
      ctx.getSelf().tell(new Sweep(true));
      return new SessionReviver(ctx, queries, interval, clock).idle();
    }));
  }

  private final ActorContext<Command> ctx;
  private final SessionQueries queries;
  private final Duration interval;
  private final Clock clock;
  private final SessionMetrics metrics;
  /** Where the next sweep starts: after the last id woken when a sweep stopped at its bound, else "". */
  private String resumeFrom = "";

  private SessionReviver(ActorContext<Command> ctx, SessionQueries queries, Duration interval, Clock clock) {
    this.ctx = ctx;
    this.queries = queries;
    this.interval = interval;
    this.clock = clock;
    this.metrics = SessionMetrics.get(ctx.getSystem());
  }

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessage(Sweep.class, sweep -> sweeping(sweep.all(), resumeFrom, 0, null))
        .onMessage(Found.class, found -> Behaviors.same()) // of a sweep before a restart
        .onMessage(DueFound.class, found -> Behaviors.same())
        .build();
  }

  /** A sweep in progress: {@code woken} so far; {@code next} a sweep asked for meanwhile (null: none). */
  private Behavior<Command> sweeping(boolean all, String after, int woken, Boolean next) {
    Instant startedBefore = all ? null : clock.instant().minus(interval);
    ctx.pipeToSelf(queries.running(after, startedBefore, PAGE),
        (ids, failure) -> new Found(ids, failure));
    return waiting(all, woken, next);
  }

  private Behavior<Command> waiting(boolean all, int woken, Boolean next) {
    return Behaviors.receive(Command.class)
        .onMessage(Sweep.class, sweep -> waiting(all, woken, next == null ? sweep.all() : next || sweep.all()))
        .onMessage(Found.class, found -> {
          if (found.failure() != null) {
            // The database is away: the next periodic sweep tries again; nothing else waits on this.
            ctx.getLog().warn("Could not look for running sessions to revive: {}", found.failure().getMessage());
            return done(woken, next);
          }
          ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
          found.ids().forEach(id -> sharding.entityRefFor(Session.ENTITY_KEY, id).tell(new Session.Wake()));
          metrics.sessionsWoken.inc(found.ids().size());
          int total = woken + found.ids().size();
          if (found.ids().size() < PAGE) {
            resumeFrom = "";
            return done(total, next);
          }
          String last = found.ids().get(found.ids().size() - 1);
          if (total >= MAX_PER_SWEEP) {
            resumeFrom = last;
            ctx.getLog().warn("Woke {} running sessions, this sweep's bound; the next sweep goes on after {}", total, last);
            return done(total, next);
          }
          return sweeping(all, last, total, next);
        })
        .build();
  }

  private Behavior<Command> done(int woken, Boolean next) {
    if (woken > 0) {
      ctx.getLog().debug("Woke {} running sessions", woken);
    }
    ctx.pipeToSelf(queries.due("", clock.instant(), PAGE), DueFound::new);
    return Behaviors.receive(Command.class)
        .onMessage(Sweep.class, sweep -> done(woken, next == null ? sweep.all() : next || sweep.all()))
        .onMessage(Found.class, found -> Behaviors.same())
        .onMessage(DueFound.class, due -> {
          if (due.failure() != null) {
            ctx.getLog().warn("Could not look for waiting sessions past their deadline: {}", due.failure().getMessage());
          } else {
            ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
            due.ids().forEach(id -> sharding.entityRefFor(Session.ENTITY_KEY, id).tell(new Session.Wake()));
            metrics.sessionsWoken.inc(due.ids().size());
          }
          if (next != null) {
            return sweeping(next, resumeFrom, 0, null);
          }
          return idle();
        })
        .build();
  }
}
