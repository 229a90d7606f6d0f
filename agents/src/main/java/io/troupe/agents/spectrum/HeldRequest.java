package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.time.Instant;

/**
 * A request held for an administrator's approval: its decision would preempt lower-priority
 * allocations and the theater's ROE says {@code preemptionNeedsApproval}. Held, it reserves
 * nothing and preempts nothing. {@code decision} is PENDING_APPROVAL while held (with the conflicts,
 * the allocations it would preempt and alternative frequencies as computed when it was held, or
 * when an approval last re-checked it), then the outcome under the same decision id.
 * {@code expiresAt} is when it is rejected unless reviewed first: the hold timeout after
 * {@code heldAt}, or the end of the requested window if that comes sooner. {@code review} is null
 * while held.
 */
public record HeldRequest(Decision decision, AllocationRequest request, Instant heldAt, Instant expiresAt,
                          Review review) implements CborSerializable {

  public boolean pending() {
    return review == null;
  }

  HeldRequest withDecision(Decision next) {
    return new HeldRequest(next, request, heldAt, expiresAt, review);
  }

  HeldRequest reviewed(Decision outcome, Review by) {
    return new HeldRequest(outcome, request, heldAt, expiresAt, by);
  }

  /**
   * How a held request ended: APPROVED or REJECTED by {@code reviewedBy} (an API user id, with an
   * optional comment), or EXPIRED (no reviewer; the comment says why). An approval's outcome is the
   * request decided again against the plan of that moment, so it may be CONFLICT or DENIED.
   */
  public record Review(Verdict verdict, String reviewedBy, String comment, Instant reviewedAt) implements CborSerializable {}

  public enum Verdict { APPROVED, REJECTED, EXPIRED }
}
