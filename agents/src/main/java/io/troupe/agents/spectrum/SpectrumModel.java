package io.troupe.agents.spectrum;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The deconfliction model of issue 4, exactly as documented, so decisions are reproducible: Rules
 * of Engagement first, then candidates by time, frequency and distance, then interference in both
 * directions, then priority, then alternative frequencies. Pure: no actors, no I/O, no clock.
 *
 * <p>Conventions where the documented model is silent: closed intervals touching count as
 * overlapping for restricted bands and power limits, but two bands that only touch do not
 * "overlap" for interference (no shared spectrum, so the adjacent-channel rejection applies).
 * Conflicts are listed by allocationId.
 */
public final class SpectrumModel {

  /** Highest centre frequency a request may have, MHz; alternatives beyond it are skipped. */
  static final double MAX_CENTRE_MHZ = 300_000;

  private static final Comparator<Conflict> BY_ALLOCATION_ID = Comparator.comparing(Conflict::allocationId);

  private final ModelConstants k;

  public SpectrumModel(ModelConstants constants) {
    this.k = constants;
  }

  /** Great-circle distance by the haversine formula, km. */
  public static double haversineKm(double lat1, double lon1, double lat2, double lon2, double earthRadiusKm) {
    double phi1 = Math.toRadians(lat1);
    double phi2 = Math.toRadians(lat2);
    double sinHalfDLat = Math.sin((phi2 - phi1) / 2);
    double sinHalfDLon = Math.sin(Math.toRadians(lon2 - lon1) / 2);
    double a = sinHalfDLat * sinHalfDLat + Math.cos(phi1) * Math.cos(phi2) * sinHalfDLon * sinHalfDLon;
    return 2 * earthRadiusKm * Math.asin(Math.min(1.0, Math.sqrt(a)));
  }

  /** Step 1: every rule of {@code roe} the emission breaks, bands first, then zones, then power limits. */
  public List<RoeViolation> roeViolations(Emission e, Roe roe) {
    List<RoeViolation> violations = new ArrayList<>();
    for (Roe.RestrictedBand band : roe.restrictedBands()) {
      if (inBand(e, band)) {
        violations.add(new RoeViolation(RoeViolation.RESTRICTED_BAND, band.severity(),
            "Occupied band " + mhz(e.lowMhz()) + "–" + mhz(e.highMhz()) + " MHz overlaps restricted band "
                + mhz(band.minMhz()) + "–" + mhz(band.maxMhz()) + " MHz" + because(band.reason())));
      }
    }
    for (Roe.RestrictedZone zone : roe.restrictedZones()) {
      double d = distanceToZoneKm(e, zone);
      if (d <= zone.radiusKm()) {
        violations.add(new RoeViolation(RoeViolation.RESTRICTED_ZONE, zone.severity(),
            "Position is " + fixed(d, 2) + " km from the centre of the restricted zone at (" + zone.latitude() + ", "
                + zone.longitude() + "), within its " + fixed(zone.radiusKm(), 2) + " km radius" + because(zone.reason())));
      }
    }
    for (Roe.PowerLimit limit : roe.powerLimits()) {
      if (overPower(e, limit)) {
        violations.add(new RoeViolation(RoeViolation.POWER_LIMIT, limit.severity(),
            "Power " + fixed(e.powerDbm(), 1) + " dBm exceeds the " + fixed(limit.maxPowerDbm(), 1) + " dBm limit for centre "
                + "frequencies " + mhz(limit.minMhz()) + "–" + mhz(limit.maxMhz()) + " MHz (centre " + mhz(e.frequencyMhz())
                + " MHz)."));
      }
    }
    return violations;
  }

  /**
   * Step 2: the windows overlap (half-open), the frequency edge gap is below the gap factor times
   * the wider bandwidth, and the distance is within the radio horizon and the maximum distance.
   */
  public boolean isCandidate(Emission a, Emission b) {
    return timesOverlap(a, b)
        && edgeGapMhz(a.lowMhz(), a.highMhz(), b.lowMhz(), b.highMhz())
            < k.candidateGapFactor() * Math.max(a.bandwidthMhz(), b.bandwidthMhz())
        && distanceKm(a, b) <= reachKm(a, b);
  }

  /** Step 3, one direction: I − N at the receiver, dB. */
  public double interferenceToNoiseDb(Emission transmitter, Emission receiver) {
    return interferenceToNoiseDb(transmitter, receiver, pathTermDb(distanceKm(transmitter, receiver)));
  }

  /**
   * Step 3, both directions: whether either receiver sees I − N above its threshold. Symmetric in
   * its arguments; meaningful only for a pair that {@link #isCandidate} accepts.
   */
  public boolean conflicts(Emission request, Emission existing) {
    return !Double.isNaN(conflictDb(request, existing, pathTermDb(distanceKm(request, existing))));
  }

  /** Steps 1 to 5 for one request against the theater's rules and active allocations. */
  public Assessment assess(Emission request, Roe roe, AllocationIndex active) {
    List<RoeViolation> violations = roeViolations(request, roe);
    if (!violations.isEmpty()) {
      List<Double> alternatives = alternatives(request, roe, active);
      return new Assessment(DecisionStatus.DENIED, List.copyOf(violations), List.of(), List.of(), alternatives,
          "Denied: " + count(violations.size(), "Rules of Engagement violation") + " (" + describe(violations) + ")."
              + offered(alternatives));
    }
    List<Conflict> conflicts = conflictsWith(request, active);
    if (conflicts.isEmpty()) {
      return new Assessment(DecisionStatus.APPROVED, List.of(), List.of(), List.of(), List.of(),
          "Approved: no active allocation interferes with the request, nor it with them.");
    }
    double maxDb = Double.NEGATIVE_INFINITY;
    int notOutranked = 0;
    for (Conflict c : conflicts) {
      maxDb = Math.max(maxDb, c.interferenceToNoiseDb());
      if (!request.priority().outranks(c.priority())) {
        notOutranked++;
      }
    }
    if (notOutranked == 0) {
      List<String> preempted = new ArrayList<>(conflicts.size());
      conflicts.forEach(c -> preempted.add(c.allocationId()));
      return new Assessment(DecisionStatus.APPROVED, List.of(), List.copyOf(conflicts), List.copyOf(preempted), List.of(),
          "Approved; preempts " + count(preempted.size(), "lower-priority allocation") + " (max I/N " + fixed(maxDb, 1)
              + " dB).");
    }
    List<Double> alternatives = alternatives(request, roe, active);
    String with = notOutranked == conflicts.size()
        ? count(notOutranked, "allocation") + " of equal or higher priority"
        : count(conflicts.size(), "allocation") + ", " + notOutranked + " of equal or higher priority";
    return new Assessment(DecisionStatus.CONFLICT, List.of(), List.copyOf(conflicts), List.of(), alternatives,
        "Conflict with " + with + " (max I/N " + fixed(maxDb, 1) + " dB)." + offered(alternatives));
  }

  /**
   * Step 5 on its own: the alternative centres a DENIED or CONFLICT decision would offer, for a
   * request held for approval (frequencies it could have at once, without preempting anyone).
   */
  public List<Double> alternativesFor(Emission request, Roe roe, AllocationIndex active) {
    return alternatives(request, roe, active);
  }

  /** The conflicting candidates among the active allocations, by allocationId. */
  private List<Conflict> conflictsWith(Emission request, AllocationIndex active) {
    List<Conflict> found = new ArrayList<>();
    double reach = AllocationIndex.reachMhz(request.bandwidthMhz(), active.maxBandwidthMhz(), k.candidateGapFactor());
    double frequencyTermDb = frequencyTermDb(request);
    double noiseDbm = noiseDbm(request);
    active.forEachReachable(request.frequencyMhz() - reach, request.frequencyMhz() + reach, request, k.candidateGapFactor(),
        request, k, (a, d) -> {
          Emission x = a.emission();
          double db = conflictDb(request, x, pathTermDb(d), frequencyTermDb, frequencyTermDb(x), noiseDbm, noiseDbm(x));
          if (!Double.isNaN(db)) {
            found.add(new Conflict(a.allocationId(), a.assetRid(), x.priority(), db));
          }
        });
    found.sort(BY_ALLOCATION_ID);
    return found;
  }

  /**
   * Step 5: centres f ± k·B (k = 1, 2, …, nearest first, the lower first on a tie) that pass the
   * ROE and conflict with nothing. The allocations the request could reach in time and distance
   * do not depend on the centre, so they are gathered once ({@link Neighbourhood}), over a
   * frequency span that grows, doubling, only when the search needs to go further out.
   */
  private List<Double> alternatives(Emission request, Roe roe, AllocationIndex active) {
    int wanted = k.maxAlternatives();
    int steps = k.alternativeSearchSteps();
    double bandwidth = request.bandwidthMhz();
    List<Double> found = new ArrayList<>();
    if (wanted <= 0 || bandwidth <= 0 || inAnyZone(request, roe)) {
      return found; // a zone violation holds at every frequency
    }
    Neighbourhood neighbourhood = new Neighbourhood(this, k, active, request);
    int covered = 0;
    for (int step = 1; step <= steps && found.size() < wanted; step++) {
      if (step > covered) {
        covered = Math.min(steps, Math.max(4, covered * 2));
        neighbourhood.cover(covered * bandwidth);
      }
      for (int sign = -1; sign <= 1 && found.size() < wanted; sign += 2) {
        double centre = request.frequencyMhz() + sign * step * bandwidth;
        if (centre <= 0 || centre > MAX_CENTRE_MHZ) {
          continue;
        }
        Emission moved = request.at(centre);
        if (!breaksFrequencyRules(moved, roe) && neighbourhood.clear(moved, sign < 0 ? 0 : 1)) {
          found.add(centre);
        }
      }
    }
    return found;
  }

  /** The larger I/N of the two directions when the pair conflicts, NaN when it does not. */
  double conflictDb(Emission a, Emission b, double pathTermDb) {
    return conflictDb(a, b, pathTermDb, frequencyTermDb(a), frequencyTermDb(b), noiseDbm(a), noiseDbm(b));
  }

  /**
   * The same with each side's frequency term of the path loss ({@link #frequencyTermDb}) and noise
   * given, so a caller deciding one emission against many, or many centres against one, computes
   * those logarithms once; the arithmetic is the same, so the result is the same to the bit.
   */
  double conflictDb(Emission a, Emission b, double pathTermDb, double frequencyTermA, double frequencyTermB,
                    double noiseA, double noiseB) {
    double aIntoB = interferenceToNoiseDb(a, b, pathTermDb, frequencyTermA, noiseB);
    double bIntoA = interferenceToNoiseDb(b, a, pathTermDb, frequencyTermB, noiseA);
    boolean conflict = aIntoB > thresholdDb(b.priority()) || bIntoA > thresholdDb(a.priority());
    return conflict ? Math.max(aIntoB, bIntoA) : Double.NaN;
  }

  /** I − N with I = P_t − FSPL − R and FSPL = pathTerm + 20·log10(f_t) + constant. */
  private double interferenceToNoiseDb(Emission transmitter, Emission receiver, double pathTermDb) {
    return interferenceToNoiseDb(transmitter, receiver, pathTermDb, frequencyTermDb(transmitter), noiseDbm(receiver));
  }

  private double interferenceToNoiseDb(Emission transmitter, Emission receiver, double pathTermDb,
                                       double transmitterFrequencyTermDb, double receiverNoiseDbm) {
    double fsplDb = pathTermDb + transmitterFrequencyTermDb + k.fsplConstantDb();
    double interferenceDbm = transmitter.powerDbm() - fsplDb - rejectionDb(transmitter, receiver);
    return interferenceDbm - receiverNoiseDbm;
  }

  /** 20·log10(f), the frequency's part of the free-space path loss. */
  static double frequencyTermDb(Emission e) {
    return 20 * Math.log10(e.frequencyMhz());
  }

  /** R: the share of the transmitter's power outside the receiver's band, or a fixed adjacent/far rejection. */
  double rejectionDb(Emission transmitter, Emission receiver) {
    double overlapMhz = Math.min(transmitter.highMhz(), receiver.highMhz()) - Math.max(transmitter.lowMhz(), receiver.lowMhz());
    if (overlapMhz > 0) {
      return -10 * Math.log10(overlapMhz / transmitter.bandwidthMhz());
    }
    return -overlapMhz < Math.max(transmitter.bandwidthMhz(), receiver.bandwidthMhz())
        ? k.adjacentRejectionDb()
        : k.farRejectionDb();
  }

  /** N = thermal noise density + 10·log10(B_r in Hz) + noise figure, dBm. */
  double noiseDbm(Emission receiver) {
    return k.thermalNoiseDbmPerHz() + 10 * Math.log10(receiver.bandwidthMhz() * 1e6) + k.noiseFigureDb();
  }

  /** The free-space path loss, dB, at the transmitter's centre frequency over the pair's distance. */
  double fsplDb(double distanceKm, double frequencyMhz) {
    return pathTermDb(distanceKm) + 20 * Math.log10(frequencyMhz) + k.fsplConstantDb();
  }

  double pathTermDb(double distanceKm) {
    return 20 * Math.log10(Math.max(distanceKm, k.minPathDistanceKm()));
  }

  private double thresholdDb(Priority receiver) {
    return receiver == Priority.IMMEDIATE || receiver == Priority.FLASH ? k.highPriorityThresholdDb() : k.conflictThresholdDb();
  }

  private double distanceKm(Emission a, Emission b) {
    return haversineKm(a.latitude(), a.longitude(), b.latitude(), b.longitude(), k.earthRadiusKm());
  }

  /** min(max distance, horizon factor·(√hA + √hB)). */
  private double reachKm(Emission a, Emission b) {
    return Math.min(k.maxCandidateDistanceKm(),
        k.radioHorizonFactor() * (Math.sqrt(a.antennaHeightM()) + Math.sqrt(b.antennaHeightM())));
  }

  /** g = max(loA, loB) − min(hiA, hiB): negative when the bands overlap. */
  static double edgeGapMhz(double lowA, double highA, double lowB, double highB) {
    return Math.max(lowA, lowB) - Math.min(highA, highB);
  }

  /** Half-open windows [start, end) overlap: windows that only touch do not. */
  static boolean timesOverlap(Emission a, Emission b) {
    return a.start().isBefore(b.end()) && b.start().isBefore(a.end());
  }

  private static boolean inBand(Emission e, Roe.RestrictedBand band) {
    return e.lowMhz() <= band.maxMhz() && e.highMhz() >= band.minMhz();
  }

  private static boolean overPower(Emission e, Roe.PowerLimit limit) {
    return e.frequencyMhz() >= limit.minMhz() && e.frequencyMhz() <= limit.maxMhz() && e.powerDbm() > limit.maxPowerDbm();
  }

  private double distanceToZoneKm(Emission e, Roe.RestrictedZone zone) {
    return haversineKm(e.latitude(), e.longitude(), zone.latitude(), zone.longitude(), k.earthRadiusKm());
  }

  private boolean inAnyZone(Emission e, Roe roe) {
    for (Roe.RestrictedZone zone : roe.restrictedZones()) {
      if (distanceToZoneKm(e, zone) <= zone.radiusKm()) {
        return true;
      }
    }
    return false;
  }

  private static boolean breaksFrequencyRules(Emission e, Roe roe) {
    for (Roe.RestrictedBand band : roe.restrictedBands()) {
      if (inBand(e, band)) {
        return true;
      }
    }
    for (Roe.PowerLimit limit : roe.powerLimits()) {
      if (overPower(e, limit)) {
        return true;
      }
    }
    return false;
  }

  private String offered(List<Double> alternatives) {
    return alternatives.isEmpty()
        ? " No free frequency within ±" + k.alternativeSearchSteps() + " channels."
        : " " + count(alternatives.size(), "alternative frequency", "alternative frequencies") + " offered.";
  }

  private static String describe(List<RoeViolation> violations) {
    StringBuilder s = new StringBuilder();
    for (RoeViolation v : violations) {
      s.append(s.length() == 0 ? "" : "; ").append(v.violationType()).append(", ").append(v.severity());
    }
    return s.toString();
  }

  private static String count(int n, String noun) {
    return count(n, noun, noun + "s");
  }

  private static String count(int n, String singular, String plural) {
    return n + " " + (n == 1 ? singular : plural);
  }

  private static String because(String reason) {
    return reason == null || reason.isBlank() ? "." : ": " + reason + ".";
  }

  private static String fixed(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  /** A frequency with as many decimals as it needs (to 1 Hz), e.g. 2400, 2399.9875. */
  private static String mhz(double value) {
    return new BigDecimal(fixed(value, 6)).stripTrailingZeros().toPlainString();
  }
}
