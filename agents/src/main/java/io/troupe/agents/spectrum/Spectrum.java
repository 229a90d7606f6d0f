package io.troupe.agents.spectrum;

import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.service.Refused;
import io.troupe.runtime.service.RetryingAsk;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The one way into the spectrum coordinators, for every door (HTTP routes, the spectrum tools,
 * and the doors to come): requests, releases, the plan, Rules of Engagement. Doors translate
 * their input into these calls and the answers (or a {@link Refused}) back into their own terms.
 * Each request and release carries its caller: allocations belong to whoever requested them.
 */
public final class Spectrum implements Extension {

  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final Duration askTimeout;

  public static Spectrum get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Spectrum(ActorSystem<?> system) {
    var ask = io.troupe.runtime.node.RuntimeSettings.get(system).ask();
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = ask.timeout();
    this.asks = ask.retrying();
  }

  /**
   * Asks the theater's coordinator to decide, for {@code caller} (who the allocation will belong
   * to). IMMEDIATE and FLASH, which may preempt other users' allocations, need
   * {@code deconfliction:priority}. The request's key makes it safe to ask again (a repeat by the
   * same caller answers the first decision), so attempts that time out are repeated until
   * {@code within}.
   */
  public CompletionStage<Decision> request(String theater, AllocationRequest request, Principal caller,
                                           Duration within) {
    Optional<Refused> refused = refusal(request, caller);
    if (refused.isPresent()) {
      return CompletableFuture.failedFuture(refused.get());
    }
    return asks.askWithStatusWithin(coordinator(theater),
        replyTo -> new DeconflictionCoordinator.RequestAllocation(request.requestedBy(caller.userId()), replyTo), within);
  }

  /** As {@link #request(String, AllocationRequest, Principal, Duration)} within the node's ask policy. */
  public CompletionStage<Decision> request(String theater, AllocationRequest request, Principal caller) {
    Optional<Refused> refused = refusal(request, caller);
    if (refused.isPresent()) {
      return CompletableFuture.failedFuture(refused.get());
    }
    return asks.askWithStatus(coordinator(theater),
        replyTo -> new DeconflictionCoordinator.RequestAllocation(request.requestedBy(caller.userId()), replyTo));
  }

  private static Optional<Refused> refusal(AllocationRequest request, Principal caller) {
    Priority priority = request.emission().priority();
    if (priority.compareTo(Priority.IMMEDIATE) >= 0 && !caller.allows(Permission.DECONFLICTION_PRIORITY)) {
      return Optional.of(Refused.forbidden("priority " + priority + " may preempt other users' allocations and needs"
          + " the permission " + Permission.DECONFLICTION_PRIORITY.id() + ", which user " + caller.userId()
          + " (role " + caller.role() + ") does not hold; ask at ROUTINE or PRIORITY"));
    }
    return Optional.empty();
  }

  /**
   * Releases an allocation for {@code caller}: only the user who requested it or an ADMIN may
   * (others are refused, and nothing changes). Asked once: a repeat after a lost answer would
   * report the allocation as no longer active. Unknown ids are refused as not found.
   */
  public CompletionStage<DeconflictionCoordinator.ReleaseResult> release(String allocationId, Principal caller) {
    String theater = DeconflictionCoordinator.theaterOf(allocationId);
    if (theater.isEmpty()) {
      return CompletableFuture.failedFuture(notFound(allocationId));
    }
    // The requester never changes, so checking it before the release cannot be outrun.
    return allocation(allocationId).thenCompose(a -> {
      if (!caller.isAdmin() && !caller.userId().equals(a.requestedBy())) {
        throw Refused.forbidden("allocation " + allocationId + " was requested by "
            + (a.requestedBy() == null ? "an unrecorded user" : "another user")
            + "; only its requester or an administrator may release it");
      }
      return coordinator(theater).<DeconflictionCoordinator.ReleaseResult>ask(
          replyTo -> new DeconflictionCoordinator.Release(allocationId, replyTo), askTimeout);
    }).thenApply(result -> {
      if (result.outcome() == DeconflictionCoordinator.ReleaseResult.Outcome.NOT_FOUND) {
        throw notFound(allocationId);
      }
      return result;
    });
  }

  /** One allocation, or a not-found refusal. */
  public CompletionStage<Allocation> allocation(String allocationId) {
    String theater = DeconflictionCoordinator.theaterOf(allocationId);
    if (theater.isEmpty()) {
      return CompletableFuture.failedFuture(notFound(allocationId));
    }
    return asks.<DeconflictionCoordinator.Command, DeconflictionCoordinator.AllocationLookup>ask(coordinator(theater),
            replyTo -> new DeconflictionCoordinator.GetAllocation(allocationId, replyTo))
        .thenApply(lookup -> {
          if (lookup.allocation() == null) {
            throw notFound(allocationId);
          }
          return lookup.allocation();
        });
  }

  /** A theater's allocations of one status (null: any) between two frequencies, at most {@code limit}. */
  public CompletionStage<DeconflictionCoordinator.AllocationList> allocations(String theater, AllocationStatus status,
                                                                              double minMhz, double maxMhz, int limit) {
    return asks.ask(coordinator(theater),
        replyTo -> new DeconflictionCoordinator.ListAllocations(status, minMhz, maxMhz, limit, replyTo));
  }

  public CompletionStage<Roe> roe(String theater) {
    return asks.ask(coordinator(theater), DeconflictionCoordinator.GetRoe::new);
  }

  /** Replaces the theater's rules (replacing them with the same rules again is harmless). */
  public CompletionStage<Roe> replaceRoe(String theater, Roe roe) {
    return asks.askWithStatus(coordinator(theater), replyTo -> new DeconflictionCoordinator.UpdateRoe(roe, replyTo));
  }

  private EntityRef<DeconflictionCoordinator.Command> coordinator(String theater) {
    return sharding.entityRefFor(DeconflictionCoordinator.ENTITY_KEY, theater);
  }

  private static Refused notFound(String allocationId) {
    return Refused.notFound("no allocation " + allocationId + " is known");
  }

  /** Extension id: one service per ActorSystem. */
  public static final class Id extends ExtensionId<Spectrum> {
    private static final Id INSTANCE = new Id();

    @Override
    public Spectrum createExtension(ActorSystem<?> system) {
      return new Spectrum(system);
    }
  }
}
