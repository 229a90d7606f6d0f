package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;
import java.util.List;

/**
 * A theater's Rules of Engagement. Lists are never null. With {@code preemptionNeedsApproval}, a
 * request that would preempt lower-priority allocations is not decided at once but held
 * (PENDING_APPROVAL) until an administrator approves or rejects it; rules stored before the flag
 * existed read as false.
 */
public record Roe(List<RestrictedBand> restrictedBands, List<RestrictedZone> restrictedZones,
                  List<PowerLimit> powerLimits, boolean preemptionNeedsApproval) implements CborSerializable {

  public static final Roe NONE = new Roe(List.of(), List.of(), List.of());

  public Roe {
    restrictedBands = restrictedBands == null ? List.of() : List.copyOf(restrictedBands);
    restrictedZones = restrictedZones == null ? List.of() : List.copyOf(restrictedZones);
    powerLimits = powerLimits == null ? List.of() : List.copyOf(powerLimits);
  }

  /** Rules under which preemption needs no approval. */
  public Roe(List<RestrictedBand> restrictedBands, List<RestrictedZone> restrictedZones, List<PowerLimit> powerLimits) {
    this(restrictedBands, restrictedZones, powerLimits, false);
  }

  /** No emission may occupy any part of [minMhz, maxMhz]. */
  public record RestrictedBand(double minMhz, double maxMhz, Severity severity, String reason) implements CborSerializable {}

  /** No emission within radiusKm (great-circle) of the centre. */
  public record RestrictedZone(double latitude, double longitude, double radiusKm, Severity severity, String reason)
      implements CborSerializable {}

  /** A centre frequency in [minMhz, maxMhz] may not exceed maxPowerDbm. */
  public record PowerLimit(double minMhz, double maxMhz, double maxPowerDbm, Severity severity) implements CborSerializable {}
}
