package io.troupe.http;

import io.troupe.agents.spectrum.Allocation;
import io.troupe.agents.spectrum.Conflict;
import io.troupe.agents.spectrum.Decision;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.RoeViolation;
import java.time.Instant;
import java.util.List;

/** Deconfliction answers as the edge shows them: flat, with units in the names. */
final class SpectrumViews {

  private SpectrumViews() {}

  record AlternativeView(double frequencyMhz) {}

  record DecisionView(String decisionId, String theater, String allocationId, String status,
                      List<Conflict> conflicts, List<RoeViolation> roeViolations, List<String> preempted,
                      List<AlternativeView> alternatives, String reasoning, Instant decidedAt) {
    static DecisionView of(Decision d) {
      return new DecisionView(d.decisionId(), d.theater(), d.allocationId(), d.status().name(), d.conflicts(),
          d.roeViolations(), d.preempted(), d.alternatives().stream().map(AlternativeView::new).toList(),
          d.reasoning(), d.decidedAt());
    }
  }

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
