package io.troupe.agents.spectrum;

import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.security.AuditEntry;
import io.troupe.runtime.governance.security.NodeAudit;
import io.troupe.runtime.service.Refused;
import io.troupe.runtime.service.RetryingAsk;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
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
  private final ActorSystem<?> system;

  public static Spectrum get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Spectrum(ActorSystem<?> system) {
    var ask = io.troupe.runtime.node.RuntimeSettings.get(system).ask();
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = ask.timeout();
    this.asks = ask.retrying();
  }

  /**
   * Asks the theater's coordinator to decide, for {@code caller} (who the allocation will belong
   * to). IMMEDIATE and FLASH, which may preempt other users' allocations, need
   * {@code deconfliction:priority}. The request's key makes it safe to ask again (a repeat by the
   * same caller answers the first decision), so attempts that time out are repeated until
   * {@code within}. Where the theater's ROE needs approval to preempt, a request that would preempt
   * is answered PENDING_APPROVAL (see {@link #review}); one more than the theater may hold is refused
   * as a conflict, and nothing is recorded.
   */
  public CompletionStage<Decision> request(String theater, AllocationRequest request, Principal caller,
                                           Duration within) {
    Optional<Refused> refused = refusal(request, caller);
    if (refused.isPresent()) {
      return CompletableFuture.failedFuture(refused.get());
    }
    return refusedAsConflict(asks.askWithStatusWithin(coordinator(theater),
        replyTo -> new DeconflictionCoordinator.RequestAllocation(request.requestedBy(caller.userId()), replyTo), within));
  }

  /** As {@link #request(String, AllocationRequest, Principal, Duration)} within the node's ask policy. */
  public CompletionStage<Decision> request(String theater, AllocationRequest request, Principal caller) {
    Optional<Refused> refused = refusal(request, caller);
    if (refused.isPresent()) {
      return CompletableFuture.failedFuture(refused.get());
    }
    return refusedAsConflict(asks.askWithStatus(coordinator(theater),
        replyTo -> new DeconflictionCoordinator.RequestAllocation(request.requestedBy(caller.userId()), replyTo)));
  }

  /** The coordinator's only error answer to a request: the theater holds its maximum of requests awaiting approval. */
  private static <T> CompletionStage<T> refusedAsConflict(CompletionStage<T> asked) {
    return asked.handle((value, error) -> {
      Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
          ? error.getCause() : error;
      if (cause instanceof org.apache.pekko.pattern.StatusReply.ErrorMessage full) {
        throw Refused.conflict(full.getMessage());
      }
      if (error != null) {
        throw error instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(error);
      }
      return value;
    });
  }

  /**
   * An administrator's answer to a request held for approval ({@code deconfliction:approve}, an
   * ADMIN's): approved, it is decided again against the plan of now (applied when it preempts at
   * most what it was held for; otherwise the new decision is the answer), rejected, it ends
   * REJECTED. Unknown ids are refused as not found, a request reviewed already (or expired) as a
   * conflict. Asked once: a repeat after a lost answer would be refused as reviewed already.
   * Every answer goes to the audit log: who, which request, approve or reject, the comment, and
   * what came of it.
   */
  public CompletionStage<HeldRequest> review(String decisionId, boolean approve, String comment, Principal caller) {
    if (!caller.allows(Permission.DECONFLICTION_APPROVE)) {
      return CompletableFuture.failedFuture(Refused.forbidden("approving or rejecting a held request needs the"
          + " permission " + Permission.DECONFLICTION_APPROVE.id() + ", which user " + caller.userId() + " (role "
          + caller.role() + ") does not hold"));
    }
    String theater = DeconflictionCoordinator.theaterOfDecision(decisionId);
    if (theater.isEmpty()) {
      return CompletableFuture.failedFuture(notHeld(decisionId));
    }
    return coordinator(theater).<DeconflictionCoordinator.ReviewResult>ask(
            replyTo -> new DeconflictionCoordinator.ReviewHeldRequest(decisionId, approve, caller.userId(), comment,
                replyTo), askTimeout)
        .thenApply(result -> switch (result.outcome()) {
          case REVIEWED -> audited(result.held(), approve, comment, caller);
          case NOT_FOUND -> throw notHeld(decisionId);
          case ALREADY_REVIEWED -> throw Refused.conflict("request " + decisionId + " was decided already: "
              + describe(result.held().review()) + ", its decision is " + result.held().decision().status()
              + "; a held request is approved or rejected once");
        });
  }

  private HeldRequest audited(HeldRequest held, boolean approve, String comment, Principal caller) {
    Decision d = held.decision();
    String outcome = switch (d.status()) {
      case APPROVED -> "APPROVED as " + d.allocationId()
          + (d.preempted().isEmpty() ? ", preempting nothing" : ", preempting " + String.join(", ", d.preempted()));
      case PENDING_APPROVAL -> "still PENDING_APPROVAL: the plan changed, it would now preempt "
          + String.join(", ", d.wouldPreempt());
      default -> d.status().name();
    };
    NodeAudit.get(system).record(new AuditEntry(0,
        io.troupe.runtime.node.NodeClock.get(system).clock().instant().truncatedTo(ChronoUnit.MICROS),
        caller.userId(), caller.keyId(), approve ? "APPROVE held request" : "REJECT held request",
        Permission.DECONFLICTION_APPROVE.id(), "/api/v1/deconfliction/requests/" + d.decisionId(), "OK",
        held.pending() ? 202 : 200, null, system.address().toString(),
        (approve ? "APPROVED " : "REJECTED ") + d.decisionId()
            + (comment == null || comment.isBlank() ? "" : ": \"" + comment + "\"") + " -> " + outcome));
    return held;
  }

  private static String describe(HeldRequest.Review review) {
    return review.verdict() == HeldRequest.Verdict.EXPIRED
        ? "it expired at " + review.reviewedAt() + " (" + review.comment() + ")"
        : review.verdict().name().toLowerCase() + " by " + review.reviewedBy() + " at " + review.reviewedAt();
  }

  /** One held request, pending or among its theater's last 1000 reviewed; not found otherwise. */
  public CompletionStage<HeldRequest> heldRequest(String decisionId) {
    String theater = DeconflictionCoordinator.theaterOfDecision(decisionId);
    if (theater.isEmpty()) {
      return CompletableFuture.failedFuture(notHeld(decisionId));
    }
    return asks.<DeconflictionCoordinator.Command, DeconflictionCoordinator.HeldRequestLookup>ask(coordinator(theater),
            replyTo -> new DeconflictionCoordinator.GetHeldRequest(decisionId, replyTo))
        .thenApply(lookup -> {
          if (lookup.held() == null) {
            throw notHeld(decisionId);
          }
          return lookup.held();
        });
  }

  /** The requests a theater holds for approval now, oldest first (at most troupe.deconfliction.max-pending-approvals). */
  public CompletionStage<java.util.List<HeldRequest>> heldRequests(String theater) {
    return asks.<DeconflictionCoordinator.Command, DeconflictionCoordinator.HeldRequestList>ask(coordinator(theater),
        DeconflictionCoordinator.ListHeldRequests::new).thenApply(DeconflictionCoordinator.HeldRequestList::held);
  }

  private static Refused notHeld(String decisionId) {
    return Refused.notFound("no request held for approval has the decision id " + decisionId
        + " (only requests held for approval are kept to be looked up, the last 1000 reviewed per theater)");
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
