package io.troupe.agents.spectrum;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * The decisions made about requests held for approval (the ROE's {@code preemptionNeedsApproval}):
 * holding one, and its outcome when approved, rejected or expired. Pure, like {@link SpectrumModel}:
 * the coordinator assesses, persists and replies.
 */
final class Holds {

  private Holds() {}

  /** Whether {@code a} must be held under {@code roe}: it is approved only by preempting someone. */
  static boolean mustHold(Roe roe, Assessment a) {
    return roe.preemptionNeedsApproval() && a.status() == DecisionStatus.APPROVED && !a.preempted().isEmpty();
  }

  /** When a request held at {@code heldAt} expires: after the timeout, or at the end of its window if sooner. */
  static Instant expiry(Instant heldAt, Duration timeout, Emission emission) {
    Instant byTimeout = heldAt.plus(timeout);
    return emission.end().isBefore(byTimeout) ? emission.end() : byTimeout;
  }

  /** The PENDING_APPROVAL decision of a request that {@link #mustHold}: nothing allocated or preempted yet. */
  static Decision held(String decisionId, String theater, Assessment a, List<Double> alternatives, Instant at) {
    return new Decision(decisionId, theater, null, DecisionStatus.PENDING_APPROVAL, a.conflicts(), List.of(), List.of(),
        alternatives, "Pending approval: would preempt " + allocations(a.preempted()) + " of lower priority ("
            + String.join(", ", a.preempted()) + "); this theater's Rules of Engagement need an administrator's"
            + " approval to preempt." + offered(alternatives), at, a.preempted());
  }

  /**
   * What an approval decides, from the request assessed again against the plan of now
   * ({@code now}): APPROVED when it preempts at most the allocations it was held for (fewer, or
   * none, when some ended meanwhile); held again (PENDING_APPROVAL, with the new lists) when it
   * would now preempt others as well; DENIED or CONFLICT when the plan or the rules changed so.
   * {@code allocationId} is used only when APPROVED; alternatives are searched only when held again.
   */
  static Decision approved(HeldRequest held, Assessment now, Supplier<List<Double>> alternativesNow,
                           String allocationId, String reviewer, String comment, Instant at) {
    Decision was = held.decision();
    String by = "Approved by " + reviewer + quoted(comment);
    if (now.status() == DecisionStatus.APPROVED && was.wouldPreempt().containsAll(now.preempted())) {
      String changed = now.preempted().equals(was.wouldPreempt()) ? ""
          : " The plan changed while it was held (it was held to preempt " + String.join(", ", was.wouldPreempt()) + ").";
      return new Decision(was.decisionId(), was.theater(), allocationId, DecisionStatus.APPROVED, now.conflicts(),
          List.of(), now.preempted(), List.of(), by + ": " + withoutApproved(now.reasoning()) + changed, at);
    }
    if (now.status() == DecisionStatus.APPROVED) {
      List<Double> alternatives = alternativesNow.get();
      return new Decision(was.decisionId(), was.theater(), null, DecisionStatus.PENDING_APPROVAL, now.conflicts(),
          List.of(), List.of(), alternatives, by + ", but the plan changed while it was held: it would now preempt "
              + String.join(", ", now.preempted()) + " (it was held to preempt " + String.join(", ", was.wouldPreempt())
              + "). Still pending: approve again to preempt these." + offered(alternatives), at, now.preempted());
    }
    return new Decision(was.decisionId(), was.theater(), null, now.status(), now.conflicts(), now.violations(), List.of(),
        now.alternatives(), by + ", but the plan changed while it was held. " + now.reasoning(), at);
  }

  static Decision rejected(HeldRequest held, String reviewer, String comment, Instant at) {
    return notApproved(held, "Rejected by " + reviewer + quoted(comment) + ". Nothing was preempted.", at);
  }

  static Decision expired(HeldRequest held, Instant at) {
    return notApproved(held, expiryReason(held) + " Nothing was preempted.", at);
  }

  /** Why a held request expired, as its review's comment and decision say. */
  static String expiryReason(HeldRequest held) {
    return held.expiresAt().equals(held.request().emission().end())
        ? "Rejected (timeout): its window ended before an administrator approved it."
        : "Rejected (timeout): no administrator approved it within "
            + Duration.between(held.heldAt(), held.expiresAt()).toString().substring(2).toLowerCase() + ".";
  }

  private static Decision notApproved(HeldRequest held, String reasoning, Instant at) {
    Decision was = held.decision();
    return new Decision(was.decisionId(), was.theater(), null, DecisionStatus.REJECTED, was.conflicts(), List.of(),
        List.of(), was.alternatives(), reasoning, at);
  }

  /** The model's reasoning for an approval without its leading "Approved: " or "Approved; ". */
  private static String withoutApproved(String reasoning) {
    return reasoning.startsWith("Approved: ") || reasoning.startsWith("Approved; ")
        ? reasoning.substring("Approved: ".length()) : reasoning;
  }

  private static String quoted(String comment) {
    return comment == null || comment.isBlank() ? "" : " (\"" + comment + "\")";
  }

  private static String allocations(List<String> ids) {
    return ids.size() == 1 ? "1 allocation" : ids.size() + " allocations";
  }

  private static String offered(List<Double> alternatives) {
    return alternatives.isEmpty() ? "" : " " + alternatives.size()
        + (alternatives.size() == 1 ? " alternative frequency" : " alternative frequencies") + " free now offered.";
  }
}
