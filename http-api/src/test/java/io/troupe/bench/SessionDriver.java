package io.troupe.bench;

import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.agent.SessionIds;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.ReceiveTimeout;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;

/**
 * Runs sessions with a bounded number in flight. Each session has a small actor of its own that
 * subscribes to the session's live feed ({@link Session#liveFeed}, the DistributedPubSub topic
 * the entity announces each persisted event on, as the SSE endpoint uses it), waits for the
 * subscription's acknowledgement, sends {@link Session.Start} through sharding, and notes the
 * arrival time of each announced event; a session ends with its SessionCompleted. No polling, no
 * reads of the journal. Sessions that complete inside the measured window count.
 */
final class SessionDriver {

  /** Latencies in nanoseconds, sorted; steps[i] is step i+1 of every counted session. */
  record Result(long completed, long failed, String firstFailure, double seconds, long[] allSteps, long[][] steps,
                long[] endToEnd) {}

  static final int STEPS = 5;

  private SessionDriver() {}

  static Result run(ActorSystem classic, org.apache.pekko.actor.typed.ActorSystem<?> typed, AgentDefinition agent,
                    int inflight, Duration warmup, Duration measure) throws Exception {
    CompletableFuture<Result> result = new CompletableFuture<>();
    long from = System.nanoTime() + warmup.toNanos();
    Run run = new Run(ClusterSharding.get(typed), DistributedPubSub.get(classic).mediator(), agent, inflight, from,
        from + measure.toNanos(), result);
    // A system actor: a typed system (custom user guardian) refuses top-level classic ones.
    ((ExtendedActorSystem) classic).systemActorOf(Props.create(Driver.class, () -> new Driver(run)), "session-bench");
    return result.get(warmup.plus(measure).toSeconds() + 120, TimeUnit.SECONDS);
  }

  private record Run(ClusterSharding sharding, ActorRef mediator, AgentDefinition agent, int inflight, long from,
                     long to, CompletableFuture<Result> result) {}

  /** A session has ended: when it was started, when each of its 5 persists was announced. */
  private record Done(long startNanos, long[] persisted, String failure) {}

  private static final class Driver extends AbstractActor {
    private final Run run;
    private final LongStream.Builder all = LongStream.builder();
    private final LongStream.Builder endToEnd = LongStream.builder();
    private final LongStream.Builder[] steps = new LongStream.Builder[STEPS];
    private int running;
    private long completed;
    private long failed;
    private String firstFailure;

    Driver(Run run) {
      this.run = run;
      for (int i = 0; i < STEPS; i++) {
        steps[i] = LongStream.builder();
      }
    }

    @Override
    public void preStart() {
      for (int i = 0; i < run.inflight(); i++) {
        launch();
      }
    }

    private void launch() {
      running++;
      String id = SessionIds.next(SessionBenchmark.AGENT);
      getContext().actorOf(Props.create(Follower.class, () -> new Follower(id, run)));
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder().match(Done.class, done -> {
        running--;
        long end = done.persisted()[STEPS - 1];
        if (done.failure() != null) {
          failed++;
          firstFailure = firstFailure == null ? done.failure() : firstFailure;
        } else if (end >= run.from() && end < run.to()) {
          completed++;
          long previous = done.startNanos();
          for (int i = 0; i < STEPS; i++) {
            long step = done.persisted()[i] - previous;
            steps[i].add(step);
            all.add(step);
            previous = done.persisted()[i];
          }
          endToEnd.add(end - done.startNanos());
        }
        if (System.nanoTime() < run.to()) {
          launch();
        } else if (running == 0) {
          long[][] sorted = new long[STEPS][];
          for (int i = 0; i < STEPS; i++) {
            sorted[i] = steps[i].build().sorted().toArray();
          }
          run.result().complete(new Result(completed, failed, firstFailure, (run.to() - run.from()) / 1e9,
              all.build().sorted().toArray(), sorted, endToEnd.build().sorted().toArray()));
          getContext().stop(getSelf());
        }
      }).build();
    }
  }

  /** Follows one session from its live feed. */
  private static final class Follower extends AbstractActor {
    private final String id;
    private final Run run;
    private final long[] persisted = new long[STEPS];
    private long start;

    Follower(String id, Run run) {
      this.id = id;
      this.run = run;
    }

    @Override
    public void preStart() {
      getContext().setReceiveTimeout(Duration.ofSeconds(60));
      run.mediator().tell(new DistributedPubSubMediator.Subscribe(Session.liveFeed(id), getSelf()), getSelf());
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(DistributedPubSubMediator.SubscribeAck.class, ack -> {
            start = System.nanoTime();
            run.sharding().entityRefFor(Session.ENTITY_KEY, id).tell(new Session.Start(SessionBenchmark.AGENT,
                run.agent(), "go", "bench", null, Adapter.toTyped(getSelf())));
          })
          .match(StatusReply.class, reply -> {
            if (reply.isError()) {
              finish("start failed: " + reply.getError().getMessage());
            } else if (((Session.Started) reply.getValue()).alreadyStarted()) {
              finish("session id taken: " + id);
            }
          })
          .match(Session.Announced.class, a -> {
            long now = System.nanoTime();
            Session.Event event = a.event();
            if (event instanceof Session.SessionCompleted) {
              persisted[STEPS - 1] = now; // journaled with the LlmResponded before it, in one persist
              finish(a.seqNr() == SessionBenchmark.EVENTS_PER_SESSION ? null : "completed at seqNr " + a.seqNr());
            } else if (event instanceof Session.SessionFailed f) {
              finish("session failed: " + f.reason());
            } else if (event != null && a.seqNr() >= 1 && a.seqNr() <= STEPS - 1) {
              persisted[(int) a.seqNr() - 1] = now;
            }
          })
          .match(ReceiveTimeout.class, t -> finish("no completion within 60 s"))
          .build();
    }

    /** Reports and stops; the feed's topic drops a stopped subscriber by itself. */
    private void finish(String failure) {
      getContext().getParent().tell(new Done(start, persisted, failure), getSelf());
      getContext().stop(getSelf());
    }
  }
}
