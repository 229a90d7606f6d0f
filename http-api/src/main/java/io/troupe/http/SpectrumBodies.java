package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.agents.spectrum.AllocationRequest;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.Priority;
import io.troupe.agents.spectrum.Roe;
import io.troupe.agents.spectrum.Severity;
import io.troupe.runtime.broker.TopicNames;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Reads and validates the deconfliction request bodies, naming every bad field. */
final class SpectrumBodies {

  static final Duration MAX_WINDOW = Duration.ofDays(30);

  /** A request body as read: the theater it goes to and the request itself. */
  record ParsedRequest(String theater, AllocationRequest request) {}

  private SpectrumBodies() {}

  /** POST /api/v1/deconfliction/requests; null when {@code errors} holds why not. */
  static ParsedRequest allocationRequest(JsonNode body, FieldErrors errors) {
    String assetRid = errors.requiredText(body, "assetRid", 255);
    double frequencyMhz = errors.number(body, "frequencyMhz", null, 0, true, 300_000);
    double bandwidthKhz = errors.number(body, "bandwidthKhz", null, 0, true, 1_000_000);
    double powerDbm = errors.number(body, "powerDbm", null, -50, false, 90);
    double latitude = errors.number(body, "latitude", null, -90, false, 90);
    double longitude = errors.number(body, "longitude", null, -180, false, 180);
    double antennaHeightM = errors.number(body, "antennaHeightM", 10.0, 0, false, Double.MAX_VALUE);
    Instant start = errors.optionalInstant(body, "startTime");
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    if (start != null && (start.isBefore(now.minus(Duration.ofDays(366))) || start.isAfter(now.plus(Duration.ofDays(3660))))) {
      errors.add("startTime", "must be within a year before and ten years after now");
      start = null;
    }
    if (start == null) {
      start = now;
    }
    Instant end = window(body, start, errors);
    Priority priority = errors.enumValue(body, "priority", Priority.class, Priority.ROUTINE);
    String purpose = errors.optionalText(body, "purpose", 1000);
    String theater = theater(errors.optionalText(body, "theater", 128), "theater", errors);
    if (errors.any()) {
      return null;
    }
    Emission emission = new Emission(frequencyMhz, bandwidthKhz, powerDbm, latitude, longitude, antennaHeightM,
        start, end, priority);
    return new ParsedRequest(theater, new AllocationRequest(assetRid, emission, purpose));
  }

  /** Exactly one of endTime and durationMinutes; the window is positive and at most 30 days. */
  private static Instant window(JsonNode body, Instant start, FieldErrors errors) {
    boolean hasEnd = body.hasNonNull("endTime");
    boolean hasDuration = body.hasNonNull("durationMinutes");
    if (hasEnd == hasDuration) {
      errors.add(hasEnd ? "durationMinutes" : "endTime",
          hasEnd ? "give endTime or durationMinutes, not both" : "endTime or durationMinutes is required");
      return null;
    }
    Instant end;
    if (hasEnd) {
      end = errors.optionalInstant(body, "endTime");
      if (end == null) {
        return null;
      }
      if (!end.isAfter(start)) {
        errors.add("endTime", "must be after startTime (" + start + ")");
        return null;
      }
    } else {
      double minutes = errors.number(body, "durationMinutes", null, 0, true, MAX_WINDOW.toMinutes());
      if (Double.isNaN(minutes) || !(minutes > 0) || minutes > MAX_WINDOW.toMinutes()) {
        return null;
      }
      end = start.plusMillis(Math.round(minutes * 60_000));
      if (!end.isAfter(start)) {
        // Times are kept to the millisecond: a shorter duration would be an empty window.
        errors.add("durationMinutes", "must be at least one millisecond (about 0.0000167 minutes)");
        return null;
      }
    }
    if (Duration.between(start, end).compareTo(MAX_WINDOW) > 0) {
      errors.add(hasEnd ? "endTime" : "durationMinutes", "the window may be at most 30 days");
      return null;
    }
    return end;
  }

  /** The theater named by a body field or query parameter; absent means "default". */
  static String theater(String raw, String field, FieldErrors errors) {
    if (raw == null) {
      return io.troupe.agents.spectrum.DeconflictionCoordinator.DEFAULT_THEATER;
    }
    TopicNames.problem(raw).ifPresent(p -> errors.add(field, p));
    return raw;
  }

  /** PUT /api/v1/roe; null when {@code errors} holds why not. */
  static Roe roe(JsonNode body, FieldErrors errors) {
    List<Roe.RestrictedBand> bands = new ArrayList<>();
    for (Item item : items(body, "restrictedBands", errors)) {
      double min = errors.number(item.node(), item.field("minMhz"), null, 0, false, 300_000);
      double max = errors.number(item.node(), item.field("maxMhz"), null, 0, false, 300_000);
      if (min > max) {
        errors.add(item.field("maxMhz"), "must not be below minMhz");
      }
      Severity severity = errors.enumValue(item.node(), item.field("severity"), Severity.class, null);
      String reason = errors.optionalText(item.node(), item.field("reason"), 500);
      bands.add(new Roe.RestrictedBand(min, max, severity, reason));
    }
    List<Roe.RestrictedZone> zones = new ArrayList<>();
    for (Item item : items(body, "restrictedZones", errors)) {
      double lat = errors.number(item.node(), item.field("latitude"), null, -90, false, 90);
      double lon = errors.number(item.node(), item.field("longitude"), null, -180, false, 180);
      double radius = errors.number(item.node(), item.field("radiusKm"), null, 0, true, 20_040);
      Severity severity = errors.enumValue(item.node(), item.field("severity"), Severity.class, null);
      String reason = errors.optionalText(item.node(), item.field("reason"), 500);
      zones.add(new Roe.RestrictedZone(lat, lon, radius, severity, reason));
    }
    List<Roe.PowerLimit> limits = new ArrayList<>();
    for (Item item : items(body, "powerLimits", errors)) {
      double min = errors.number(item.node(), item.field("minMhz"), null, 0, false, 300_000);
      double max = errors.number(item.node(), item.field("maxMhz"), null, 0, false, 300_000);
      if (min > max) {
        errors.add(item.field("maxMhz"), "must not be below minMhz");
      }
      double maxPower = errors.number(item.node(), item.field("maxPowerDbm"), null, -50, false, 90);
      Severity severity = errors.enumValue(item.node(), item.field("severity"), Severity.class, null);
      limits.add(new Roe.PowerLimit(min, max, maxPower, severity));
    }
    boolean preemptionNeedsApproval = errors.optionalBoolean(body, "preemptionNeedsApproval");
    return errors.any() ? null : new Roe(bands, zones, limits, preemptionNeedsApproval);
  }

  /**
   * An element of a rule list. Its fields are read from {@code node} but reported by their path
   * ("restrictedBands[0].minMhz"), hence the wrapper node holding them under that path.
   */
  private record Item(JsonNode node, String path) {
    String field(String name) {
      return path + "." + name;
    }
  }

  private static List<Item> items(JsonNode body, String list, FieldErrors errors) {
    List<Item> out = new ArrayList<>();
    JsonNode array = body.get(list);
    if (array == null || array.isNull()) {
      return out;
    }
    if (!array.isArray()) {
      errors.add(list, "must be an array");
      return out;
    }
    if (array.size() > 1000) {
      errors.add(list, "may hold at most 1000 rules");
      return out;
    }
    for (int i = 0; i < array.size(); i++) {
      String path = list + "[" + i + "]";
      JsonNode element = array.get(i);
      if (!element.isObject()) {
        errors.add(path, "must be an object");
        continue;
      }
      // Re-key the element's fields under their full path, so errors name them that way.
      var keyed = Json.MAPPER.createObjectNode();
      element.fields().forEachRemaining(f -> keyed.set(path + "." + f.getKey(), f.getValue()));
      out.add(new Item(keyed, path));
    }
    return out;
  }
}
