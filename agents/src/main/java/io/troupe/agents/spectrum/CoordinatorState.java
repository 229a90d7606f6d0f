package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A theater's state: its rules, its active allocations (indexed by frequency for the model, and
 * by end time for expiry), the most recent ended ones, and the requests held for approval (with
 * the most recently reviewed ones).
 *
 * <p>Mutable on purpose, and changed only by {@link #apply}: a theater holds up to hundreds of
 * thousands of allocations, and copying them per event would dominate the decision time. The
 * snapshot is an immutable copy ({@link Snapshot}), made on the actor's thread.
 */
final class CoordinatorState {

  private final String theater;
  private final int endedKept;
  Roe roe = Roe.NONE;
  final AllocationIndex active = new AllocationIndex();
  /** Every known allocation by id: all active ones and the {@code endedKept} most recently ended. */
  final Map<String, Allocation> allocations = new LinkedHashMap<>();
  private final TreeMap<Instant, Set<String>> activeByEnd = new TreeMap<>();
  private final LinkedHashMap<String, Boolean> ended = new LinkedHashMap<>();
  long decisions;
  long allocationsIssued;
  /**
   * Decisions of keyed requests by their requester-scoped key ({@link AllocationRequest#scopedKey}),
   * oldest first, at most {@link #REMEMBERED_KEYS}: retries get these.
   */
  final LinkedHashMap<String, Decision> recentDecisions = new LinkedHashMap<>();
  static final int REMEMBERED_KEYS = 1000;
  /** Requests held for an administrator's approval, by decision id, oldest first. */
  final LinkedHashMap<String, HeldRequest> pendingHolds = new LinkedHashMap<>();
  /** Held requests already reviewed (approved, rejected, expired), oldest first, at most {@link #REVIEWED_KEPT}. */
  final LinkedHashMap<String, HeldRequest> reviewedHolds = new LinkedHashMap<>();
  static final int REVIEWED_KEPT = 1000;

  CoordinatorState(String theater, int endedKept) {
    this.theater = theater;
    this.endedKept = endedKept;
  }

  String nextDecisionId() {
    return theater + "-d" + (decisions + 1);
  }

  /** Allocation ids are "{theater}-{n}": the theater is everything before the last '-'. */
  String nextAllocationId() {
    return theater + "-" + (allocationsIssued + 1);
  }

  Instant earliestEnd() {
    return activeByEnd.isEmpty() ? null : activeByEnd.firstKey();
  }

  /** When the next held request expires; null when none is held (a scan: holds are few, see max-pending-approvals). */
  Instant earliestHoldExpiry() {
    Instant earliest = null;
    for (HeldRequest h : pendingHolds.values()) {
      if (earliest == null || h.expiresAt().isBefore(earliest)) {
        earliest = h.expiresAt();
      }
    }
    return earliest;
  }

  List<HeldRequest> holdsExpiringBy(Instant now) {
    List<HeldRequest> due = new ArrayList<>();
    for (HeldRequest h : pendingHolds.values()) {
      if (!h.expiresAt().isAfter(now)) {
        due.add(h);
      }
    }
    return due;
  }

  /** A held request, pending or among the recently reviewed; null when unknown. */
  HeldRequest hold(String decisionId) {
    HeldRequest pending = pendingHolds.get(decisionId);
    return pending != null ? pending : reviewedHolds.get(decisionId);
  }

  List<String> activeEndingBy(Instant now) {
    List<String> due = new ArrayList<>();
    for (Map.Entry<Instant, Set<String>> e : activeByEnd.headMap(now, true).entrySet()) {
      due.addAll(e.getValue());
    }
    due.sort(null);
    return due;
  }

  CoordinatorState apply(DeconflictionCoordinator.Event event) {
    if (event instanceof DeconflictionCoordinator.AllocationDecided d) {
      decisions++;
      Decision decision = d.decision();
      if (d.request().scopedKey() != null) {
        remember(d.request().scopedKey(), decision);
      }
      if (decision.status() == DecisionStatus.APPROVED) {
        allocate(decision, d.request());
      }
    } else if (event instanceof DeconflictionCoordinator.RequestHeld h) {
      decisions++;
      if (h.request().scopedKey() != null) {
        remember(h.request().scopedKey(), h.decision());
      }
      pendingHolds.put(h.decision().decisionId(), new HeldRequest(h.decision(), h.request(), h.decision().decidedAt(),
          h.expiresAt(), null));
    } else if (event instanceof DeconflictionCoordinator.HeldRequestReviewed r) {
      reviewed(r);
    } else if (event instanceof DeconflictionCoordinator.AllocationReleased r) {
      end(r.allocationId(), AllocationStatus.RELEASED, r.releasedAt());
    } else if (event instanceof DeconflictionCoordinator.AllocationExpired x) {
      end(x.allocationId(), AllocationStatus.EXPIRED, x.expiredAt());
    } else if (event instanceof DeconflictionCoordinator.RoeUpdated u) {
      roe = u.roe();
    }
    return this;
  }

  private void allocate(Decision decision, AllocationRequest r) {
    for (String preempted : decision.preempted()) {
      end(preempted, AllocationStatus.PREEMPTED, decision.decidedAt());
    }
    allocationsIssued++;
    add(new Allocation(decision.allocationId(), theater, r.assetRid(), r.emission(), r.purpose(),
        AllocationStatus.APPROVED, decision.decisionId(), decision.decidedAt(), null, r.requestedBy()));
  }

  private void reviewed(DeconflictionCoordinator.HeldRequestReviewed r) {
    Decision decision = r.decision();
    HeldRequest held = pendingHolds.get(decision.decisionId());
    if (held == null) {
      return; // reviewed already: a held request is decided once
    }
    String key = r.request().scopedKey();
    if (key != null && recentDecisions.containsKey(key)) {
      recentDecisions.put(key, decision); // a retry of the request answers where it stands now
    }
    if (decision.status() == DecisionStatus.PENDING_APPROVAL) {
      pendingHolds.put(decision.decisionId(), held.withDecision(decision)); // the plan changed: held again
      return;
    }
    pendingHolds.remove(decision.decisionId());
    keepReviewed(held.reviewed(decision, r.review()));
    if (decision.status() == DecisionStatus.APPROVED) {
      allocate(decision, r.request());
    }
  }

  private void keepReviewed(HeldRequest h) {
    reviewedHolds.put(h.decision().decisionId(), h);
    if (reviewedHolds.size() > REVIEWED_KEPT) {
      reviewedHolds.remove(reviewedHolds.keySet().iterator().next());
    }
  }

  private void add(Allocation a) {
    allocations.put(a.allocationId(), a);
    if (a.status() == AllocationStatus.APPROVED) {
      active.add(a.active());
      activeByEnd.computeIfAbsent(a.emission().end(), k -> new HashSet<>()).add(a.allocationId());
    } else {
      remember(a.allocationId());
    }
  }

  private void end(String allocationId, AllocationStatus status, Instant at) {
    Allocation a = allocations.get(allocationId);
    if (a == null || a.status() != AllocationStatus.APPROVED) {
      return;
    }
    active.remove(allocationId);
    Set<String> sameEnd = activeByEnd.get(a.emission().end());
    if (sameEnd != null && sameEnd.remove(allocationId) && sameEnd.isEmpty()) {
      activeByEnd.remove(a.emission().end());
    }
    allocations.put(allocationId, a.ended(status, at));
    remember(allocationId);
  }

  private void remember(String endedId) {
    ended.put(endedId, Boolean.TRUE);
    if (ended.size() > endedKept) {
      Iterator<String> oldest = ended.keySet().iterator();
      allocations.remove(oldest.next());
      oldest.remove();
    }
  }

  private void remember(String key, Decision decision) {
    recentDecisions.put(key, decision);
    if (recentDecisions.size() > REMEMBERED_KEYS) {
      recentDecisions.remove(recentDecisions.keySet().iterator().next());
    }
  }

  /** An immutable copy for the snapshot store. */
  Snapshot toSnapshot() {
    List<KeyedDecision> keyed = new ArrayList<>();
    recentDecisions.forEach((k, d) -> keyed.add(new KeyedDecision(k, d)));
    List<HeldRequest> held = new ArrayList<>(reviewedHolds.values());
    held.addAll(pendingHolds.values());
    return new Snapshot(roe, List.copyOf(allocations.values()), decisions, allocationsIssued, List.copyOf(keyed),
        List.copyOf(held));
  }

  static CoordinatorState fromSnapshot(String theater, int endedKept, Snapshot s) {
    CoordinatorState state = new CoordinatorState(theater, endedKept);
    state.roe = s.roe();
    state.decisions = s.decisions();
    state.allocationsIssued = s.allocationsIssued();
    s.allocations().forEach(state::add);
    if (s.recentDecisions() != null) { // absent in snapshots from before keys
      s.recentDecisions().forEach(k -> state.remember(k.requestKey(), k.decision()));
    }
    if (s.heldRequests() != null) { // absent in snapshots from before held requests
      for (HeldRequest h : s.heldRequests()) {
        if (h.pending()) {
          state.pendingHolds.put(h.decision().decisionId(), h);
        } else {
          state.keepReviewed(h);
        }
      }
    }
    return state;
  }

  /** What a snapshot stores; {@code heldRequests} (pending and recently reviewed) is null in older snapshots. */
  record Snapshot(Roe roe, List<Allocation> allocations, long decisions, long allocationsIssued,
                  List<KeyedDecision> recentDecisions, List<HeldRequest> heldRequests) implements CborSerializable {}

  record KeyedDecision(String requestKey, Decision decision) implements CborSerializable {}
}
