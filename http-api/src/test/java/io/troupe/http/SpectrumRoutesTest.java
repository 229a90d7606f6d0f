package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.SpectrumCalls.allocation;
import static io.troupe.http.SpectrumCalls.approved;
import static io.troupe.http.SpectrumCalls.decide;
import static io.troupe.http.SpectrumCalls.getRoe;
import static io.troupe.http.SpectrumCalls.json;
import static io.troupe.http.SpectrumCalls.listed;
import static io.troupe.http.SpectrumCalls.putRoe;
import static io.troupe.http.SpectrumCalls.request;
import static io.troupe.http.SpectrumCalls.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Spectrum deconfliction over real HTTP on one node: decisions, ROE, allocations' lifecycle, metrics. */
@RunningNodeTest
class SpectrumRoutesTest {

  @FromNode private static HttpClientForTests http;

  @Test
  void approvedRequestGetsAnAllocationReadableWithTheRequestsFields() {
    ObjectNode body = request("t-approve", "radar-7", 1234.5);
    body.remove("durationMinutes");
    body.put("startTime", "2030-01-01T00:00:00Z").put("endTime", "2030-01-01T02:00:00+01:00")
        .put("bandwidthKhz", 200).put("powerDbm", -12.5).put("latitude", -33.25).put("longitude", 151.5)
        .put("antennaHeightM", 25).put("priority", "PRIORITY").put("purpose", "coastal search");
    JsonNode d = decide(http, body);
    assertEquals("APPROVED", d.get("status").asText(), d::toString);
    assertEquals("t-approve-1", d.get("allocationId").asText());
    assertEquals("t-approve-d1", d.get("decisionId").asText());
    assertEquals("t-approve", d.get("theater").asText());
    for (String empty : List.of("conflicts", "roeViolations", "preempted", "alternatives")) {
      assertTrue(d.get(empty).isArray() && d.get(empty).isEmpty(), () -> empty + ": " + d);
    }
    assertFalse(d.get("reasoning").asText().isBlank());

    JsonNode a = allocation(http, "t-approve-1");
    assertEquals("APPROVED", a.get("status").asText());
    assertEquals("t-approve", a.get("theater").asText());
    assertEquals("radar-7", a.get("assetRid").asText());
    assertEquals(1234.5, a.get("frequencyMhz").asDouble());
    assertEquals(200.0, a.get("bandwidthKhz").asDouble());
    assertEquals(-12.5, a.get("powerDbm").asDouble());
    assertEquals(-33.25, a.get("latitude").asDouble());
    assertEquals(151.5, a.get("longitude").asDouble());
    assertEquals(25.0, a.get("antennaHeightM").asDouble());
    assertEquals(Instant.parse("2030-01-01T00:00:00Z"), Instant.parse(a.get("startTime").asText()));
    assertEquals(Instant.parse("2030-01-01T01:00:00Z"), Instant.parse(a.get("endTime").asText()), "offset honoured");
    assertEquals("PRIORITY", a.get("priority").asText());
    assertEquals("coastal search", a.get("purpose").asText());
    assertEquals("t-approve-d1", a.get("decisionId").asText());
    assertTrue(a.get("endedAt") == null || a.get("endedAt").isNull(), a::toString);

    // Defaults: antenna 10 m, ROUTINE, starting now; numbers continue per theater.
    Instant before = Instant.now().minusSeconds(2);
    String second = approved(http, request("t-approve", "radio-2", 5000));
    assertEquals("t-approve-2", second);
    JsonNode b = allocation(http, second);
    assertEquals(10.0, b.get("antennaHeightM").asDouble());
    assertEquals("ROUTINE", b.get("priority").asText());
    Instant start = Instant.parse(b.get("startTime").asText());
    assertTrue(start.isAfter(before) && start.isBefore(Instant.now().plusSeconds(2)), () -> "startTime " + start);
  }

  @Test
  void theaterDefaultsToDefault() {
    ObjectNode body = request("unused", "no-theater", 777);
    body.remove("theater");
    JsonNode d = decide(http, body);
    assertEquals("default", d.get("theater").asText());
    assertEquals("default-1", d.get("allocationId").asText());
    assertEquals(List.of("default-1"), listed(http, ""));
    assertEquals(List.of("default-1"), listed(http, "theater=default"));
  }

  @Test
  void listFiltersByBandOverlapAndStatusInFrequencyOrder() {
    String t = "t-list";
    String a900 = approved(http, request(t, "a", 900));
    String a100 = approved(http, request(t, "b", 100));
    String a500 = approved(http, request(t, "c", 500));
    assertEquals(200, http.send("DELETE", "/api/v1/allocations/" + a500, Map.of(), null).status());

    assertEquals(List.of(a100, a500, a900), listed(http, "theater=" + t));
    assertEquals(List.of(a100, a900), listed(http, "theater=" + t + "&status=APPROVED"));
    assertEquals(List.of(a500), listed(http, "theater=" + t + "&status=RELEASED"));
    assertEquals(List.of(), listed(http, "theater=" + t + "&status=EXPIRED"));
    assertEquals(List.of(a500, a900), listed(http, "theater=" + t + "&minMhz=400&maxMhz=1000"));
    assertEquals(List.of(a900), listed(http, "theater=" + t + "&status=APPROVED&minMhz=400&maxMhz=1000"));
    // By the occupied band [f - 12.5 kHz, f + 12.5 kHz], not the centre alone.
    assertEquals(List.of(a900), listed(http, "theater=" + t + "&status=APPROVED&minMhz=900.01&maxMhz=950"));
    assertEquals(List.of(a900), listed(http, "theater=" + t + "&minMhz=900.01&maxMhz=950"));
    assertEquals(List.of(), listed(http, "theater=" + t + "&status=APPROVED&minMhz=900.02&maxMhz=950"));
    assertEquals(List.of(a100), listed(http, "theater=" + t + "&status=APPROVED&maxMhz=99.99"));
    assertEquals(List.of(a900), listed(http, "theater=" + t + "&minMhz=899.99"));
    assertEquals(List.of(), listed(http, "theater=t-list-none"));

    JsonNode page = http.get("/api/v1/allocations?theater=" + t + "&limit=1").json();
    assertEquals(1, page.get("allocations").size());
    assertTrue(page.get("truncated").asBoolean(), page::toString);
    assertFalse(http.get("/api/v1/allocations?theater=" + t).json().get("truncated").asBoolean());
  }

  @Test
  void deleteReleasesOnceAndFreesTheChannel() {
    String t = "t-release";
    String id = approved(http, request(t, "a", 1000));
    Instant before = Instant.now().minusSeconds(2);
    HttpClientForTests.Answer released = http.send("DELETE", "/api/v1/allocations/" + id, Map.of(), null);
    assertEquals(200, released.status(), released::body);
    JsonNode r = released.json();
    assertEquals(id, r.get("allocationId").asText());
    assertEquals("RELEASED", r.get("status").asText());
    Instant endedAt = Instant.parse(r.get("endedAt").asText());
    assertTrue(endedAt.isAfter(before) && endedAt.isBefore(Instant.now().plusSeconds(2)), () -> "endedAt " + endedAt);
    assertEquals("RELEASED", allocation(http, id).get("status").asText());

    JsonNode again = assertProblem(http.send("DELETE", "/api/v1/allocations/" + id, Map.of(), null), 409);
    assertTrue(again.get("detail").asText().contains("RELEASED"), again::toString);
    assertEquals("RELEASED", allocation(http, id).get("status").asText());

    // The same channel at the same place is free again.
    assertEquals(t + "-2", approved(http, request(t, "b", 1000)));

    for (String unknown : List.of(t + "-99", "t-never-1")) {
      assertProblem(http.send("DELETE", "/api/v1/allocations/" + unknown, Map.of(), null), 404);
      assertProblem(http.get("/api/v1/allocations/" + unknown), 404);
    }
    for (String malformed : List.of("nodash", t + "-", "-1", t + "-1x", t + "-x")) {
      assertProblem(http.send("DELETE", "/api/v1/allocations/" + malformed, Map.of(), null), 404);
      assertProblem(http.get("/api/v1/allocations/" + malformed), 404);
    }
  }

  @Test
  void roeIsReplacedWholeAndReadBack() {
    String t = "t-roe-put";
    JsonNode empty = getRoe(http, t);
    for (String list : List.of("restrictedBands", "restrictedZones", "powerLimits")) {
      assertTrue(empty.get(list).isArray() && empty.get(list).isEmpty(), empty::toString);
    }
    String rules = """
        {"restrictedBands":[{"minMhz":2400,"maxMhz":2500,"severity":"HIGH","reason":"ISM"}],
         "restrictedZones":[{"latitude":51.5,"longitude":-0.1,"radiusKm":12.5,"severity":"CRITICAL","reason":"city"}],
         "powerLimits":[{"minMhz":100,"maxMhz":200,"maxPowerDbm":30,"severity":"LOW"}]}""";
    JsonNode stored = putRoe(http, t, rules);
    assertEquals(json(rules).get("restrictedBands").get(0).get("severity"), stored.get("restrictedBands").get(0).get("severity"));
    JsonNode read = getRoe(http, t);
    assertEquals(stored, read);
    assertEquals(2400.0, read.get("restrictedBands").get(0).get("minMhz").asDouble());
    assertEquals(2500.0, read.get("restrictedBands").get(0).get("maxMhz").asDouble());
    assertEquals("ISM", read.get("restrictedBands").get(0).get("reason").asText());
    assertEquals(12.5, read.get("restrictedZones").get(0).get("radiusKm").asDouble());
    assertEquals("CRITICAL", read.get("restrictedZones").get(0).get("severity").asText());
    assertEquals(30.0, read.get("powerLimits").get(0).get("maxPowerDbm").asDouble());

    putRoe(http, t, "{\"restrictedBands\":[{\"minMhz\":10,\"maxMhz\":20,\"severity\":\"MEDIUM\"}]}");
    JsonNode replaced = getRoe(http, t);
    assertEquals(1, replaced.get("restrictedBands").size());
    assertEquals(10.0, replaced.get("restrictedBands").get(0).get("minMhz").asDouble());
    assertTrue(replaced.get("restrictedZones").isEmpty(), "replaced, not merged: " + replaced);
    assertTrue(replaced.get("powerLimits").isEmpty(), "replaced, not merged: " + replaced);
    assertTrue(getRoe(http, "t-roe-put-other").get("restrictedBands").isEmpty(), "rules are per theater");
  }

  @Test
  void restrictedBandDeniesWithAlternativesOutsideItAndNoAllocation() {
    String t = "t-roe-band";
    putRoe(http, t, "{\"restrictedBands\":[{\"minMhz\":2400,\"maxMhz\":2500,\"severity\":\"HIGH\",\"reason\":\"ISM\"}]}");
    JsonNode d = decide(http, request(t, "wifi", 2450).put("bandwidthKhz", 1000));
    assertEquals("DENIED", d.get("status").asText(), d::toString);
    assertTrue(d.get("allocationId") == null || d.get("allocationId").isNull(), d::toString);
    assertEquals(1, d.get("roeViolations").size(), d::toString);
    JsonNode v = d.get("roeViolations").get(0);
    assertEquals("RESTRICTED_BAND", v.get("violationType").asText());
    assertEquals("HIGH", v.get("severity").asText());
    assertFalse(v.get("description").asText().isBlank());
    assertTrue(d.get("conflicts").isEmpty(), d::toString);
    List<Double> alternatives = alternatives(d);
    assertTrue(!alternatives.isEmpty() && alternatives.size() <= 3, d::toString);
    for (double f : alternatives) {
      assertTrue(f + 0.5 < 2400 || f - 0.5 > 2500, () -> "alternative " + f + " occupies the restricted band: " + d);
    }
    // On the 1 MHz raster around 2450, nearest first, the lower first on a tie.
    assertEquals(List.of(2399.0, 2501.0, 2398.0), alternatives);
    assertEquals(List.of(), listed(http, "theater=" + t));

    // Touching the band counts; an alternative is approved, and the denial took no allocation number.
    assertEquals("DENIED", decide(http, request(t, "edge", 2399.5).put("bandwidthKhz", 1000)).get("status").asText());
    assertEquals(t + "-1", approved(http, request(t, "wifi", alternatives.get(0)).put("bandwidthKhz", 1000)));
  }

  @Test
  void restrictedZoneDeniesInsideItsRadiusOnly() {
    String t = "t-roe-zone";
    putRoe(http, t, "{\"restrictedZones\":[{\"latitude\":50,\"longitude\":10,\"radiusKm\":25,\"severity\":\"CRITICAL\"}]}");
    JsonNode d = decide(http, request(t, "inside", 1000).put("latitude", 50.1)); // about 11 km from the centre
    assertEquals("DENIED", d.get("status").asText(), d::toString);
    assertEquals("RESTRICTED_ZONE", d.get("roeViolations").get(0).get("violationType").asText());
    assertEquals("CRITICAL", d.get("roeViolations").get(0).get("severity").asText());
    assertTrue(d.get("alternatives").isEmpty(), "no frequency escapes a zone: " + d);
    assertEquals(List.of(), listed(http, "theater=" + t));
    assertEquals(t + "-1", approved(http, request(t, "outside", 1000).put("latitude", 50.3))); // about 33 km
  }

  @Test
  void powerLimitDeniesAboveTheLimitInItsRangeOnly() {
    String t = "t-roe-power";
    putRoe(http, t, "{\"powerLimits\":[{\"minMhz\":100,\"maxMhz\":200,\"maxPowerDbm\":30,\"severity\":\"MEDIUM\"}]}");
    JsonNode d = decide(http, request(t, "loud", 150).put("powerDbm", 40));
    assertEquals("DENIED", d.get("status").asText(), d::toString);
    assertEquals("POWER_LIMIT", d.get("roeViolations").get(0).get("violationType").asText());
    assertEquals("MEDIUM", d.get("roeViolations").get(0).get("severity").asText());
    assertEquals(List.of(), listed(http, "theater=" + t));
    assertEquals(t + "-1", approved(http, request(t, "at-limit", 150).put("powerDbm", 30)));
    assertEquals(t + "-2", approved(http, request(t, "out-of-range", 250).put("powerDbm", 40)));
  }

  @Test
  void coLocatedCoChannelRoutineRequestIsAConflictThatChangesNothing() {
    String t = "t-conflict";
    String first = approved(http, request(t, "first", 1000));
    JsonNode d = decide(http, request(t, "second", 1000));
    assertEquals("CONFLICT", d.get("status").asText(), d::toString);
    assertTrue(d.get("allocationId") == null || d.get("allocationId").isNull(), d::toString);
    assertEquals(1, d.get("conflicts").size(), d::toString);
    JsonNode c = d.get("conflicts").get(0);
    assertEquals(first, c.get("allocationId").asText());
    assertEquals("first", c.get("assetRid").asText());
    assertEquals("ROUTINE", c.get("priority").asText());
    // I = 30 - (20·log10(0.1) + 20·log10(1000) + 32.44) - 0; N = -174 + 10·log10(25000) + 6.
    assertEquals(81.58, c.get("interferenceToNoiseDb").asDouble(), 0.01);
    assertTrue(d.get("preempted").isEmpty() && d.get("roeViolations").isEmpty(), d::toString);
    List<Double> alternatives = alternatives(d);
    assertTrue(!alternatives.isEmpty() && alternatives.size() <= 3, d::toString);
    double last = 0;
    for (double f : alternatives) {
      assertNotEquals(1000.0, f);
      assertTrue(Math.abs(f - 1000) >= last, () -> "nearest first: " + alternatives);
      last = Math.abs(f - 1000);
    }

    assertEquals("APPROVED", allocation(http, first).get("status").asText());
    assertEquals(List.of(first), listed(http, "theater=" + t));
    assertEquals(t + "-2", approved(http, request(t, "second", alternatives.get(0))), "the alternative is free");
  }

  @Test
  void flashPreemptsRoutineButNotAnotherFlash() {
    String t = "t-preempt";
    String routine = approved(http, request(t, "routine", 3000));
    JsonNode d = decide(http, request(t, "flash", 3000).put("priority", "FLASH"));
    assertEquals("APPROVED", d.get("status").asText(), d::toString);
    assertEquals(t + "-2", d.get("allocationId").asText());
    assertEquals(List.of(routine), strings(d.get("preempted")));
    JsonNode preempted = allocation(http, routine);
    assertEquals("PREEMPTED", preempted.get("status").asText());
    assertTrue(preempted.get("endedAt").isTextual(), preempted::toString);
    assertEquals(List.of(t + "-2"), listed(http, "theater=" + t + "&status=APPROVED"));
    assertEquals(List.of(routine), listed(http, "theater=" + t + "&status=PREEMPTED"));
    assertProblem(http.send("DELETE", "/api/v1/allocations/" + routine, Map.of(), null), 409);

    JsonNode equal = decide(http, request(t, "flash-2", 3000).put("priority", "FLASH"));
    assertEquals("CONFLICT", equal.get("status").asText(), equal::toString);
    assertEquals(t + "-2", equal.get("conflicts").get(0).get("allocationId").asText());
    assertTrue(equal.get("preempted").isEmpty(), equal::toString);
    assertEquals("APPROVED", allocation(http, t + "-2").get("status").asText());
  }

  @Test
  void allocationExpiresByItselfAtItsEnd() {
    String t = "t-expiry";
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    ObjectNode body = request(t, "short", 1000);
    body.remove("durationMinutes");
    body.put("startTime", now.toString()).put("endTime", now.plusSeconds(2).toString());
    String id = approved(http, body);
    JsonNode expired = Eventually.await(Duration.ofSeconds(20), id + " EXPIRED", () -> {
      JsonNode a = allocation(http, id);
      return "EXPIRED".equals(a.get("status").asText()) ? Optional.of(a) : Optional.empty();
    });
    assertFalse(Instant.parse(expired.get("endedAt").asText()).isBefore(now.plusSeconds(2)), expired::toString);
    assertEquals(List.of(), listed(http, "theater=" + t + "&status=APPROVED"));
    assertEquals(List.of(id), listed(http, "theater=" + t + "&status=EXPIRED"));
    assertProblem(http.send("DELETE", "/api/v1/allocations/" + id, Map.of(), null), 409);
  }

  @Test
  void durationMinutesIsAnAlternativeToEndTime() {
    String t = "t-duration";
    ObjectNode body = request(t, "a", 100).put("startTime", "2030-01-01T00:00:00Z").put("durationMinutes", 90);
    JsonNode a = allocation(http, approved(http, body));
    assertEquals(Instant.parse("2030-01-01T01:30:00Z"), Instant.parse(a.get("endTime").asText()));
    JsonNode half = allocation(http, approved(http, request(t, "b", 200).put("startTime", "2030-01-01T00:00:00Z")
        .put("durationMinutes", 0.5)));
    assertEquals(Instant.parse("2030-01-01T00:00:30Z"), Instant.parse(half.get("endTime").asText()));
    JsonNode fromNow = allocation(http, approved(http, request(t, "c", 300).put("durationMinutes", 45)));
    assertEquals(Duration.ofMinutes(45), Duration.between(Instant.parse(fromNow.get("startTime").asText()),
        Instant.parse(fromNow.get("endTime").asText())));
  }

  @Test
  void metricsCountDecisionsByOutcomeViolationsAndActiveAllocations() {
    String t = "t-metrics";
    putRoe(http, t, "{\"restrictedBands\":[{\"minMhz\":60,\"maxMhz\":70,\"severity\":\"LOW\"}]}");
    String before = http.get("/metrics").body();
    approved(http, request(t, "a", 1000));
    assertEquals("DENIED", decide(http, request(t, "b", 65).put("priority", "IMMEDIATE")).get("status").asText());
    assertEquals("CONFLICT", decide(http, request(t, "c", 1000)).get("status").asText());
    HttpClientForTests.Answer scrape = http.get("/metrics");
    assertEquals(200, scrape.status());
    String after = scrape.body();

    assertEquals(2, delta(before, after, "embm_deconfliction_requests_total", "priority=\"ROUTINE\""));
    assertEquals(1, delta(before, after, "embm_deconfliction_requests_total", "priority=\"IMMEDIATE\""));
    assertEquals(1, delta(before, after, "embm_deconfliction_approvals_total", "priority=\"ROUTINE\""));
    assertEquals(1, delta(before, after, "embm_deconfliction_denials_total", "priority=\"IMMEDIATE\"", "reason=\"ROE_VIOLATION\""));
    assertEquals(1, delta(before, after, "embm_deconfliction_denials_total", "priority=\"ROUTINE\"", "reason=\"CONFLICT\""));
    assertEquals(0, delta(before, after, "embm_deconfliction_denials_total", "priority=\"ROUTINE\"", "reason=\"ROE_VIOLATION\""));
    assertEquals(1, delta(before, after, "embm_roe_violations_total", "violation_type=\"RESTRICTED_BAND\"", "severity=\"LOW\""));
    assertEquals(3, delta(before, after, "embm_roe_checks_total"));
    assertEquals(3, delta(before, after, "embm_deconfliction_duration_seconds_count"));
    assertTrue(after.contains("# TYPE embm_deconfliction_duration_seconds histogram"), "histogram");
    assertTrue(after.contains("embm_deconfliction_duration_seconds_bucket{"), "histogram buckets");
    assertEquals(1.0, sample(after, "embm_active_allocations", "theater=\"" + t + "\""), after);
  }

  private static double delta(String before, String after, String name, String... labels) {
    // A series not yet there counts as 0: a labelled counter appears on its first increment.
    return Math.max(0, sample(after, name, labels)) - Math.max(0, sample(before, name, labels));
  }

  private static List<Double> alternatives(JsonNode decision) {
    List<Double> out = new ArrayList<>();
    decision.get("alternatives").forEach(a -> out.add(a.get("frequencyMhz").asDouble()));
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.asText()));
    return out;
  }
}
