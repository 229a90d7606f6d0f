package io.troupe.bench;

import io.troupe.agents.spectrum.AllocationIndex;
import io.troupe.agents.spectrum.AllocationRequest;
import io.troupe.agents.spectrum.AllocationStatus;
import io.troupe.agents.spectrum.Assessment;
import io.troupe.agents.spectrum.Decision;
import io.troupe.agents.spectrum.DecisionStatus;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.Roe;
import io.troupe.agents.spectrum.SpectrumModel;
import io.troupe.runtime.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Recovery of one coordinator holding many allocations, on a real node (sharding, Pekko
 * Persistence JDBC, snapshot every {@code troupe.deconfliction.snapshot-every} events). The
 * coordinator runs as a child of a small holder actor rather than through sharding, so the
 * benchmark can stop it and start it again at will; its persistence id, settings and code are the
 * sharded entity's. It is filled through RequestAllocation commands with requests chosen to
 * conflict with nothing already held (so each is APPROVED, one event each).
 */
final class CoordinatorRecovery {

  record Result(int held, double fillSeconds, int rejectedWhileChoosing, List<Double> recoverySeconds,
                List<Double> listSeconds, int listed, long snapshotSequence, long snapshotBytes, long events) {}

  private sealed interface HolderCommand {}

  private record Start(ActorRef<ActorRef<DeconflictionCoordinator.Command>> replyTo) implements HolderCommand {}

  private record Stop(ActorRef<Done> replyTo) implements HolderCommand {}

  private CoordinatorRecovery() {}

  /** Spawns the coordinator on Start; on Stop stops it and answers once it has terminated. */
  private static Behavior<HolderCommand> holder(String theater, DeconflictionCoordinator.Settings settings) {
    return Behaviors.setup(ctx -> {
      int[] generation = {0};
      @SuppressWarnings("unchecked") ActorRef<DeconflictionCoordinator.Command>[] child = new ActorRef[1];
      @SuppressWarnings("unchecked") ActorRef<Done>[] stopping = new ActorRef[1];
      return Behaviors.receive(HolderCommand.class)
          .onMessage(Start.class, s -> {
            child[0] = ctx.spawn(DeconflictionCoordinator.create(theater, settings), "coordinator-" + (++generation[0]));
            ctx.watch(child[0]);
            s.replyTo().tell(child[0]);
            return Behaviors.same();
          })
          .onMessage(Stop.class, s -> {
            stopping[0] = s.replyTo();
            ctx.stop(child[0]);
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            if (stopping[0] != null) {
              stopping[0].tell(Done.getInstance());
              stopping[0] = null;
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  static Result run(ActorSystem<?> system, DatabaseTarget target, int count, int inflight, int recoveries,
                    Duration fillLimit) throws Exception {
    String theater = "bench";
    DeconflictionCoordinator.Settings settings = io.troupe.agents.spectrum.SpectrumSettings.get(system).coordinator();
    System.out.printf("  settings: snapshot-every=%d, ended-allocations-kept=%d%n", settings.snapshotEvery(),
        settings.endedAllocationsKept());

    // Requests that conflict with nothing chosen before them (windows from tomorrow, so none expires).
    SpectrumModel model = new SpectrumModel(settings.model());
    AllocationIndex chosen = new AllocationIndex();
    SpectrumWorkload workload = new SpectrumWorkload(SpectrumWorkload.Scenario.UNIFORM,
        Instant.now().plus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS), 7);
    List<Emission> emissions = new ArrayList<>(count);
    int rejected = 0;
    while (emissions.size() < count) {
      Emission e = workload.next();
      Assessment a = model.assess(e, Roe.NONE, chosen);
      if (a.status() == DecisionStatus.APPROVED && a.preempted().isEmpty()) {
        emissions.add(e);
        chosen.add(new io.troupe.agents.spectrum.ActiveAllocation("c-" + emissions.size(), "x", e));
      } else {
        rejected++;
      }
    }

    ActorRef<HolderCommand> holder = system.systemActorOf(holder(theater, settings), "bench-holder", Props.empty());
    Duration timeout = Duration.ofSeconds(120);
    ActorRef<DeconflictionCoordinator.Command> coordinator = AskPattern.<HolderCommand, ActorRef<DeconflictionCoordinator.Command>>ask(
        holder, Start::new, timeout, system.scheduler()).toCompletableFuture().get(2, TimeUnit.MINUTES);

    Semaphore permits = new Semaphore(inflight);
    AtomicLong approved = new AtomicLong();
    AtomicReference<String> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    long deadline = t0 + fillLimit.toNanos();
    int sent = 0;
    for (Emission e : emissions) {
      if (failure.get() != null || System.nanoTime() > deadline) {
        break;
      }
      if (!permits.tryAcquire(2, TimeUnit.MINUTES)) {
        throw new IllegalStateException("no reply for 2 minutes while filling");
      }
      int n = ++sent;
      AskPattern.<DeconflictionCoordinator.Command, org.apache.pekko.pattern.StatusReply<Decision>>ask(coordinator,
          replyTo -> new DeconflictionCoordinator.RequestAllocation(new AllocationRequest("asset-" + n, e, "bench"), replyTo),
          timeout, system.scheduler()).whenComplete((reply, error) -> {
            if (error != null || reply.isError() || reply.getValue().status() != DecisionStatus.APPROVED) {
              failure.compareAndSet(null, error != null ? error.toString()
                  : reply.isError() ? reply.getError().toString() : reply.getValue().reasoning());
            } else {
              approved.incrementAndGet();
            }
            permits.release();
          });
      if (n % 10_000 == 0) {
        System.out.printf("    %d sent, %.0f s, %.0f decisions/s; load %s%n", n, (System.nanoTime() - t0) / 1e9,
            n / ((System.nanoTime() - t0) / 1e9), Probe.loadAverage());
      }
    }
    if (!permits.tryAcquire(inflight, 5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("replies missing after filling");
    }
    permits.release(inflight);
    double fillSeconds = (System.nanoTime() - t0) / 1e9;
    if (failure.get() != null) {
      throw new IllegalStateException("a fill request was not approved: " + failure.get());
    }
    int held = (int) approved.get();
    Thread.sleep(5000); // let the last snapshot be written

    List<Double> recovery = new ArrayList<>();
    List<Double> listing = new ArrayList<>();
    int listed = -1;
    for (int r = 0; r < recoveries; r++) {
      AskPattern.<HolderCommand, Done>ask(holder, Stop::new, timeout, system.scheduler()).toCompletableFuture()
          .get(2, TimeUnit.MINUTES);
      System.gc();
      long s0 = System.nanoTime();
      coordinator = AskPattern.<HolderCommand, ActorRef<DeconflictionCoordinator.Command>>ask(holder, Start::new, timeout,
          system.scheduler()).toCompletableFuture().get(2, TimeUnit.MINUTES);
      AskPattern.<DeconflictionCoordinator.Command, Roe>ask(coordinator, DeconflictionCoordinator.GetRoe::new, timeout,
          system.scheduler()).toCompletableFuture().get(2, TimeUnit.MINUTES);
      long s1 = System.nanoTime();
      DeconflictionCoordinator.AllocationList list = AskPattern.<DeconflictionCoordinator.Command,
          DeconflictionCoordinator.AllocationList>ask(coordinator, replyTo -> new DeconflictionCoordinator.ListAllocations(
              AllocationStatus.APPROVED, 0, 1e6, count + 1, replyTo), timeout, system.scheduler())
          .toCompletableFuture().get(2, TimeUnit.MINUTES);
      long s2 = System.nanoTime();
      listed = list.allocations().size();
      recovery.add((s1 - s0) / 1e9);
      listing.add((s2 - s1) / 1e9);
      System.out.printf("    recovery %d: %.3f s until GetRoe answered; ListAllocations(APPROVED) of %d took %.3f s%n",
          r + 1, (s1 - s0) / 1e9, listed, (s2 - s1) / 1e9);
    }

    long snapshotSequence = -1;
    long snapshotBytes = -1;
    long events = -1;
    try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
         Statement s = c.createStatement()) {
      String pid = "'" + DeconflictionCoordinator.ENTITY_KEY.name() + "|" + theater + "'";
      try (ResultSet rs = s.executeQuery("SELECT sequence_number, octet_length(snapshot_payload) FROM snapshot "
          + "WHERE persistence_id = " + pid + " ORDER BY sequence_number DESC LIMIT 1")) {
        if (rs.next()) {
          snapshotSequence = rs.getLong(1);
          snapshotBytes = rs.getLong(2);
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT max(sequence_number) FROM event_journal WHERE persistence_id = " + pid)) {
        rs.next();
        events = rs.getLong(1);
      }
    }
    return new Result(held, fillSeconds, rejected, recovery, listing, listed, snapshotSequence, snapshotBytes, events);
  }
}
