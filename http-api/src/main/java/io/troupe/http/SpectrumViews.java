package io.troupe.http;

import io.troupe.agents.spectrum.Allocation;
import io.troupe.agents.spectrum.Conflict;
import io.troupe.agents.spectrum.Decision;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.HeldRequest;
import io.troupe.agents.spectrum.RoeViolation;
import java.time.Instant;
import java.util.List;

/** Deconfliction answers as the edge shows them: flat, with units in the names. */
final class SpectrumViews {

  private SpectrumViews() {}

  record AlternativeView(double frequencyMhz) {}

  /** {@code wouldPreempt}: only while PENDING_APPROVAL, the allocations an approval would preempt. */
  record DecisionView(String decisionId, String theater, String allocationId, String status,
                      List<Conflict> conflicts, List<RoeViolation> roeViolations, List<String> preempted,
                      List<String> wouldPreempt, List<AlternativeView> alternatives, String reasoning,
                      Instant decidedAt) {
    static DecisionView of(Decision d) {
      return new DecisionView(d.decisionId(), d.theater(), d.allocationId(), d.status().name(), d.conflicts(),
          d.roeViolations(), d.preempted(), d.wouldPreempt(), d.alternatives().stream().map(AlternativeView::new).toList(),
          d.reasoning(), d.decidedAt());
    }
  }

  /**
   * A request held for approval, with what was asked (flat, as an allocation shows it), its
   * decision (PENDING_APPROVAL while held, then the outcome) and, once reviewed, the review.
   */
  record HeldRequestView(String decisionId, String theater, String status, String requestedBy, String assetRid,
                         double frequencyMhz, double bandwidthKhz, double powerDbm, double latitude, double longitude,
                         double antennaHeightM, Instant startTime, Instant endTime, String priority, String purpose,
                         Instant heldAt, Instant expiresAt, DecisionView decision, ReviewView review) {
    static HeldRequestView of(HeldRequest h) {
      Emission e = h.request().emission();
      Decision d = h.decision();
      return new HeldRequestView(d.decisionId(), d.theater(), d.status().name(), h.request().requestedBy(),
          h.request().assetRid(), e.frequencyMhz(), e.bandwidthKhz(), e.powerDbm(), e.latitude(), e.longitude(),
          e.antennaHeightM(), e.start(), e.end(), e.priority().name(), h.request().purpose(), h.heldAt(), h.expiresAt(),
          DecisionView.of(d), h.review() == null ? null : new ReviewView(h.review().verdict().name(),
              h.review().reviewedBy(), h.review().comment(), h.review().reviewedAt()));
    }
  }

  /** {@code verdict}: APPROVED, REJECTED or EXPIRED ({@code reviewedBy} null, {@code comment} the reason). */
  record ReviewView(String verdict, String reviewedBy, String comment, Instant reviewedAt) {}

  record HeldRequestPage(String theater, List<HeldRequestView> requests) {}

  record AllocationView(String allocationId, String theater, String assetRid, double frequencyMhz, double bandwidthKhz,
                        double powerDbm, double latitude, double longitude, double antennaHeightM,
                        Instant startTime, Instant endTime, String priority, String purpose, String status,
                        String decisionId, Instant decidedAt, Instant endedAt, String requestedBy) {
    static AllocationView of(Allocation a) {
      Emission e = a.emission();
      return new AllocationView(a.allocationId(), a.theater(), a.assetRid(), e.frequencyMhz(), e.bandwidthKhz(),
          e.powerDbm(), e.latitude(), e.longitude(), e.antennaHeightM(), e.start(), e.end(), e.priority().name(),
          a.purpose(), a.status().name(), a.decisionId(), a.decidedAt(), a.endedAt(), a.requestedBy());
    }
  }

  record AllocationPage(String theater, List<AllocationView> allocations, boolean truncated) {}
}
