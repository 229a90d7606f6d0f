package io.troupe.agents.spectrum;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.troupe.monitoring.BoundedLabel;
import io.troupe.monitoring.Metrics;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What {@link DeconflictionCoordinator} reports: decisions, ROE checks and violations, active
 * allocations, requests held for approval.
 */
public final class SpectrumMetrics implements Extension {

  public final Counter deconflictionRequests;
  public final Counter deconflictionApprovals;
  public final Counter deconflictionDenials;
  public final Counter deconflictionPreemptions;
  public final Histogram deconflictionDuration;
  public final Counter roeChecks;
  public final Counter roeViolations;
  public final Gauge activeAllocations;
  /** Requests held for approval, by what became of them (a fixed set of outcomes). */
  public final Counter heldRequests;
  public final Gauge pendingApprovals;
  /** Theaters are named by clients; the default one keeps its label however many junk names come first. */
  public final BoundedLabel theaterLabel = new BoundedLabel(32)
      .admitKnown(java.util.List.of(DeconflictionCoordinator.DEFAULT_THEATER));

  private SpectrumMetrics(CollectorRegistry registry) {
    deconflictionRequests = Counter.build()
        .name("embm_deconfliction_requests_total").help("Allocation requests decided, by requested priority")
        .labelNames("priority").register(registry);
    deconflictionApprovals = Counter.build()
        .name("embm_deconfliction_approvals_total").help("Requests approved, by priority")
        .labelNames("priority").register(registry);
    deconflictionDenials = Counter.build()
        .name("embm_deconfliction_denials_total")
        .help("Requests not approved, by priority and reason (ROE_VIOLATION, CONFLICT, or REJECTED: a held request"
            + " rejected by an administrator or expired)")
        .labelNames("priority", "reason").register(registry);
    deconflictionPreemptions = Counter.build()
        .name("embm_deconfliction_preemptions_total").help("Allocations preempted by higher-priority requests")
        .register(registry);
    deconflictionDuration = Histogram.build()
        .name("embm_deconfliction_duration_seconds")
        .help("Time from a request reaching its coordinator until its decision is journaled")
        .buckets(Metrics.LATENCY_BUCKETS).register(registry);
    roeChecks = Counter.build()
        .name("embm_roe_checks_total").help("Requests checked against Rules of Engagement").register(registry);
    roeViolations = Counter.build()
        .name("embm_roe_violations_total").help("Rules of Engagement violations found, by type and severity")
        .labelNames("violation_type", "severity").register(registry);
    activeAllocations = Gauge.build()
        .name("embm_active_allocations")
        .help("Active allocations held by coordinators on this node, by theater (first 32 theaters; the rest as \"other\")")
        .labelNames("theater").register(registry);
    heldRequests = Counter.build()
        .name("troupe_deconfliction_held_requests_total")
        .help("Requests held for an administrator's approval before preempting, by outcome: held, refused (the"
            + " theater held its maximum), approved (applied as held), changed (approved, but the plan had changed:"
            + " another decision answered), rejected, expired")
        .labelNames("outcome").register(registry);
    pendingApprovals = Gauge.build()
        .name("troupe_deconfliction_pending_approvals")
        .help("Requests held for approval by coordinators on this node, by theater (first 32 theaters; the rest as \"other\")")
        .labelNames("theater").register(registry);
  }

  /** This node's spectrum metrics, registered on its shared registry at the first call. */
  public static SpectrumMetrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Extension id: one {@link SpectrumMetrics} per ActorSystem. */
  public static final class Id extends ExtensionId<SpectrumMetrics> {
    private static final Id INSTANCE = new Id();

    @Override
    public SpectrumMetrics createExtension(ActorSystem<?> system) {
      return new SpectrumMetrics(Metrics.get(system).registry);
    }
  }
}
