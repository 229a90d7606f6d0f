package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.SpectrumCalls.REQUESTS;
import static io.troupe.http.SpectrumCalls.allocation;
import static io.troupe.http.SpectrumCalls.decide;
import static io.troupe.http.SpectrumCalls.getRoe;
import static io.troupe.http.SpectrumCalls.listed;
import static io.troupe.http.SpectrumCalls.putRoe;
import static io.troupe.http.SpectrumCalls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad deconfliction input gets a 400 problem naming each bad field and records nothing: afterwards
 * the theater lists no allocation and the next good request is its first decision and allocation.
 * Boundary values that are valid are accepted.
 */
@RunningNodeTest
class SpectrumBadInputTest {

  private static final AtomicInteger THEATERS = new AtomicInteger();
  private static final String GOOD_ROE = "{\"restrictedBands\":[{\"minMhz\":2400,\"maxMhz\":2500,\"severity\":\"HIGH\"}]}";

  @FromNode private static HttpClientForTests http;

  /** A change to a valid request body, and the fields the 400 must name. */
  record Case(String name, List<String> fields, Consumer<ObjectNode> change) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case bad(String name, String fields, Consumer<ObjectNode> change) {
    return new Case(name, List.of(fields.split(",")), change);
  }

  static Stream<Case> badRequests() {
    Stream<Case> missing = Stream.of("assetRid", "frequencyMhz", "bandwidthKhz", "powerDbm", "latitude", "longitude")
        .map(f -> bad(f + " missing", f, b -> b.remove(f)));
    Stream<Case> others = Stream.of(
        bad("neither endTime nor durationMinutes", "endTime", b -> b.remove("durationMinutes")),
        bad("every required field missing", "assetRid,frequencyMhz,bandwidthKhz,powerDbm,latitude,longitude,endTime",
            b -> b.retain("theater")),
        bad("assetRid null", "assetRid", b -> b.putNull("assetRid")),
        bad("frequencyMhz null", "frequencyMhz", b -> b.putNull("frequencyMhz")),
        bad("assetRid blank", "assetRid", b -> b.put("assetRid", "  ")),
        bad("assetRid 256 chars", "assetRid", b -> b.put("assetRid", "a".repeat(256))),
        bad("frequencyMhz 0", "frequencyMhz", b -> b.put("frequencyMhz", 0)),
        bad("frequencyMhz -1", "frequencyMhz", b -> b.put("frequencyMhz", -1)),
        bad("frequencyMhz 300000.1", "frequencyMhz", b -> b.put("frequencyMhz", 300000.1)),
        bad("frequencyMhz 1e400", "frequencyMhz", b -> b.set("frequencyMhz", SpectrumCalls.json("1e400"))),
        bad("bandwidthKhz 0", "bandwidthKhz", b -> b.put("bandwidthKhz", 0)),
        bad("bandwidthKhz -25", "bandwidthKhz", b -> b.put("bandwidthKhz", -25)),
        bad("bandwidthKhz 1000000.1", "bandwidthKhz", b -> b.put("bandwidthKhz", 1000000.1)),
        bad("powerDbm -50.1", "powerDbm", b -> b.put("powerDbm", -50.1)),
        bad("powerDbm 90.1", "powerDbm", b -> b.put("powerDbm", 90.1)),
        bad("latitude 90.1", "latitude", b -> b.put("latitude", 90.1)),
        bad("latitude -90.1", "latitude", b -> b.put("latitude", -90.1)),
        bad("longitude 180.1", "longitude", b -> b.put("longitude", 180.1)),
        bad("longitude -180.1", "longitude", b -> b.put("longitude", -180.1)),
        bad("antennaHeightM -1", "antennaHeightM", b -> b.put("antennaHeightM", -1)),
        bad("antennaHeightM -0.001", "antennaHeightM", b -> b.put("antennaHeightM", -0.001)),
        bad("durationMinutes 0", "durationMinutes", b -> b.put("durationMinutes", 0)),
        bad("durationMinutes -5", "durationMinutes", b -> b.put("durationMinutes", -5)),
        bad("durationMinutes 43200.1", "durationMinutes", b -> b.put("durationMinutes", 43200.1)),
        bad("durationMinutes rounding to no time", "durationMinutes", b -> b.put("durationMinutes", 0.000001)),
        bad("frequencyMhz a string", "frequencyMhz", b -> b.put("frequencyMhz", "1000")),
        bad("bandwidthKhz a string", "bandwidthKhz", b -> b.put("bandwidthKhz", "25")),
        bad("powerDbm a boolean", "powerDbm", b -> b.put("powerDbm", true)),
        bad("latitude a string", "latitude", b -> b.put("latitude", "50")),
        bad("longitude an array", "longitude", b -> b.putArray("longitude")),
        bad("antennaHeightM a string", "antennaHeightM", b -> b.put("antennaHeightM", "10")),
        bad("durationMinutes a string", "durationMinutes", b -> b.put("durationMinutes", "60")),
        bad("assetRid a number", "assetRid", b -> b.put("assetRid", 5)),
        bad("priority a number", "priority", b -> b.put("priority", 3)),
        bad("purpose an object", "purpose", b -> b.putObject("purpose")),
        bad("purpose 1001 chars", "purpose", b -> b.put("purpose", "p".repeat(1001))),
        bad("startTime a number", "startTime", b -> b.put("startTime", 1700000000)),
        bad("both endTime and durationMinutes", "durationMinutes", b -> b.put("endTime", "2030-01-01T01:00:00Z")),
        bad("endTime before startTime", "endTime", b -> window(b, "2029-12-31T23:00:00Z")),
        bad("endTime equal to startTime", "endTime", b -> window(b, "2030-01-01T00:00:00Z")),
        bad("endTime over 30 days on", "endTime", b -> window(b, "2030-01-31T00:00:00.001Z")),
        bad("endTime not ISO-8601", "endTime", b -> window(b, "soon")),
        bad("durationMinutes over 30 days", "durationMinutes", b -> b.put("durationMinutes", 43201)),
        bad("startTime a word", "startTime", b -> b.put("startTime", "yesterday")),
        bad("startTime month 13", "startTime", b -> b.put("startTime", "2030-13-01T00:00:00Z")),
        bad("startTime without offset", "startTime", b -> b.put("startTime", "2030-01-01T00:00:00")),
        bad("startTime empty", "startTime", b -> b.put("startTime", "")),
        bad("unknown priority", "priority", b -> b.put("priority", "URGENT")),
        bad("priority in lower case", "priority", b -> b.put("priority", "flash")),
        bad("theater with a space", "theater", b -> b.put("theater", "bad theater")),
        bad("theater with a slash", "theater", b -> b.put("theater", "a/b")),
        bad("theater empty", "theater", b -> b.put("theater", "")),
        bad("theater 129 chars", "theater", b -> b.put("theater", "t".repeat(129))),
        bad("theater a number", "theater", b -> b.put("theater", 7)),
        bad("five fields at once", "frequencyMhz,powerDbm,latitude,priority,antennaHeightM", b -> b.put("frequencyMhz", 0)
            .put("powerDbm", "x").put("latitude", 91).put("priority", "NOPE").put("antennaHeightM", -3)));
    return Stream.concat(missing, others);
  }

  /** startTime 2030-01-01T00:00Z and the given endTime instead of durationMinutes. */
  private static void window(ObjectNode body, String endTime) {
    body.remove("durationMinutes");
    body.put("endTime", endTime);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badRequestIs400NamingEachFieldAndRecordsNothing(Case c) {
    String t = theater();
    ObjectNode body = request(t, "asset", 1000).put("startTime", "2030-01-01T00:00:00Z");
    c.change().accept(body);
    assertInvalid(http.postJson(REQUESTS, body.toString()), c.fields().toArray(String[]::new));
    assertNothingRecorded(t);
  }

  static Stream<Case> validBoundaries() {
    return Stream.of(
        bad("frequencyMhz 300000", "", b -> b.put("frequencyMhz", 300000)),
        bad("frequencyMhz 0.001", "", b -> b.put("frequencyMhz", 0.001).put("bandwidthKhz", 1)),
        bad("bandwidthKhz 1000000", "", b -> b.put("bandwidthKhz", 1000000)),
        bad("bandwidthKhz 0.001", "", b -> b.put("bandwidthKhz", 0.001)),
        bad("powerDbm -50", "", b -> b.put("powerDbm", -50)),
        bad("powerDbm 90", "", b -> b.put("powerDbm", 90)),
        bad("latitude 90", "", b -> b.put("latitude", 90)),
        bad("latitude -90", "", b -> b.put("latitude", -90)),
        bad("longitude 180", "", b -> b.put("longitude", 180)),
        bad("longitude -180", "", b -> b.put("longitude", -180)),
        bad("antennaHeightM 0", "", b -> b.put("antennaHeightM", 0)),
        bad("durationMinutes 43200", "", b -> b.put("durationMinutes", 43200)),
        bad("endTime 30 days on", "", b -> window(b, "2030-01-31T00:00:00Z")),
        bad("endTime 1 ms on", "", b -> window(b, "2030-01-01T00:00:00.001Z")),
        bad("assetRid 255 chars", "", b -> b.put("assetRid", "a".repeat(255))),
        bad("purpose 1000 chars", "", b -> b.put("purpose", "p".repeat(1000))),
        bad("optional fields null", "", b -> b.putNull("antennaHeightM").putNull("priority").putNull("purpose")
            .putNull("startTime").putNull("endTime")),
        bad("every priority name", "", b -> b.put("priority", "IMMEDIATE")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validBoundaries")
  void validBoundaryValuesAreAccepted(Case c) {
    String t = theater();
    ObjectNode body = request(t, "asset", 1000).put("startTime", "2030-01-01T00:00:00Z");
    c.change().accept(body);
    JsonNode d = decide(http, body);
    assertEquals("APPROVED", d.get("status").asText(), d::toString);
    assertEquals(t + "-1", d.get("allocationId").asText());
    JsonNode a = allocation(http, t + "-1");
    for (String f : List.of("frequencyMhz", "bandwidthKhz", "powerDbm", "latitude", "longitude", "antennaHeightM")) {
      if (body.path(f).isNumber()) {
        assertEquals(body.get(f).asDouble(), a.get(f).asDouble(), f);
      }
    }
    assertEquals(body.get("assetRid").asText(), a.get("assetRid").asText());
  }

  static Stream<Case> badRoe() {
    return Stream.of(
        roe("band maxMhz below minMhz", "restrictedBands[0].maxMhz", "{\"restrictedBands\":[{\"minMhz\":20,\"maxMhz\":10,\"severity\":\"LOW\"}]}"),
        roe("second band bad", "restrictedBands[1].maxMhz", "{\"restrictedBands\":[{\"minMhz\":1,\"maxMhz\":2,\"severity\":\"LOW\"},"
            + "{\"minMhz\":20,\"maxMhz\":10,\"severity\":\"LOW\"}]}"),
        roe("unknown severity", "restrictedBands[0].severity", "{\"restrictedBands\":[{\"minMhz\":1,\"maxMhz\":2,\"severity\":\"SEVERE\"}]}"),
        roe("severity in lower case", "restrictedBands[0].severity", "{\"restrictedBands\":[{\"minMhz\":1,\"maxMhz\":2,\"severity\":\"low\"}]}"),
        roe("severity missing", "restrictedBands[0].severity", "{\"restrictedBands\":[{\"minMhz\":1,\"maxMhz\":2}]}"),
        roe("band minMhz a string", "restrictedBands[0].minMhz", "{\"restrictedBands\":[{\"minMhz\":\"1\",\"maxMhz\":2,\"severity\":\"LOW\"}]}"),
        roe("band minMhz missing", "restrictedBands[0].minMhz", "{\"restrictedBands\":[{\"maxMhz\":2,\"severity\":\"LOW\"}]}"),
        roe("band minMhz negative", "restrictedBands[0].minMhz", "{\"restrictedBands\":[{\"minMhz\":-1,\"maxMhz\":2,\"severity\":\"LOW\"}]}"),
        roe("band reason 501 chars", "restrictedBands[0].reason", "{\"restrictedBands\":[{\"minMhz\":1,\"maxMhz\":2,\"severity\":\"LOW\",\"reason\":\""
            + "r".repeat(501) + "\"}]}"),
        roe("restrictedBands a string", "restrictedBands", "{\"restrictedBands\":\"nope\"}"),
        roe("restrictedBands an object", "restrictedBands", "{\"restrictedBands\":{\"minMhz\":1}}"),
        roe("restrictedBands a number", "restrictedBands", "{\"restrictedBands\":5}"),
        roe("band a number", "restrictedBands[0]", "{\"restrictedBands\":[5]}"),
        roe("over 1000 bands", "restrictedBands", "{\"restrictedBands\":["
            + String.join(",", java.util.Collections.nCopies(1001, "{\"minMhz\":1,\"maxMhz\":2,\"severity\":\"LOW\"}")) + "]}"),
        roe("zone radiusKm negative", "restrictedZones[0].radiusKm", zone("-1", "50", "10")),
        roe("zone radiusKm 0", "restrictedZones[0].radiusKm", zone("0", "50", "10")),
        roe("zone latitude 90.1", "restrictedZones[0].latitude", zone("5", "90.1", "10")),
        roe("zone longitude -180.1", "restrictedZones[0].longitude", zone("5", "50", "-180.1")),
        roe("restrictedZones a string", "restrictedZones", "{\"restrictedZones\":\"x\"}"),
        roe("power limit over 90 dBm", "powerLimits[0].maxPowerDbm", "{\"powerLimits\":[{\"minMhz\":1,\"maxMhz\":2,\"maxPowerDbm\":90.1,\"severity\":\"LOW\"}]}"),
        roe("power limit maxMhz below minMhz", "powerLimits[0].maxMhz", "{\"powerLimits\":[{\"minMhz\":3,\"maxMhz\":2,\"maxPowerDbm\":10,\"severity\":\"LOW\"}]}"),
        roe("power limit severity unknown", "powerLimits[0].severity", "{\"powerLimits\":[{\"minMhz\":1,\"maxMhz\":2,\"maxPowerDbm\":10,\"severity\":\"X\"}]}"),
        roe("a bad field in each list", "restrictedBands[0].maxMhz,restrictedZones[0].radiusKm,powerLimits[0].severity",
            "{\"restrictedBands\":[{\"minMhz\":20,\"maxMhz\":10,\"severity\":\"LOW\"}],"
                + "\"restrictedZones\":[{\"latitude\":1,\"longitude\":1,\"radiusKm\":-1,\"severity\":\"LOW\"}],"
                + "\"powerLimits\":[{\"minMhz\":1,\"maxMhz\":2,\"maxPowerDbm\":10}]}"));
  }

  private static Case roe(String name, String fields, String body) {
    return new Case(name, List.of(fields.split(",")), b -> b.put("body", body));
  }

  private static String zone(String radiusKm, String latitude, String longitude) {
    return "{\"restrictedZones\":[{\"latitude\":" + latitude + ",\"longitude\":" + longitude + ",\"radiusKm\":" + radiusKm
        + ",\"severity\":\"HIGH\"}]}";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRoe")
  void badRoeIs400NamingEachFieldAndKeepsTheRules(Case c) {
    String t = theater();
    JsonNode good = putRoe(http, t, GOOD_ROE);
    ObjectNode holder = Json.MAPPER.createObjectNode();
    c.change().accept(holder);
    assertInvalid(http.send("PUT", "/api/v1/roe?theater=" + t, Map.of("Content-Type", "application/json"),
        holder.get("body").asText()), c.fields().toArray(String[]::new));
    assertEquals(good, getRoe(http, t), "rules unchanged");
    assertEquals("DENIED", decide(http, request(t, "a", 2450)).get("status").asText(), "the old rules still apply");
  }

  @Test
  void roeWithABadTheaterOrBodyIsRejected() {
    assertInvalid(http.send("PUT", "/api/v1/roe?theater=bad%20name", Map.of("Content-Type", "application/json"), GOOD_ROE), "theater");
    assertInvalid(http.get("/api/v1/roe?theater=a%2Fb"), "theater");
    String t = theater();
    JsonNode good = putRoe(http, t, GOOD_ROE);
    String path = "/api/v1/roe?theater=" + t;
    assertProblem(http.send("PUT", path, Map.of("Content-Type", "text/plain"), GOOD_ROE), 415);
    assertProblem(http.send("PUT", path, Map.of(), GOOD_ROE), 415);
    assertProblem(http.send("PUT", path, Map.of("Content-Type", "application/json"), "{\"restrictedBands\":["), 400);
    assertProblem(http.send("PUT", path, Map.of("Content-Type", "application/json"), "[]"), 400);
    assertEquals(good, getRoe(http, t));
  }

  @Test
  void badAllocationQueryParametersAre400NamingThem() {
    String t = theater();
    String base = "/api/v1/allocations?theater=" + t;
    assertInvalid(http.get(base + "&status=FOO"), "status");
    assertInvalid(http.get(base + "&status=approved"), "status");
    assertInvalid(http.get(base + "&minMhz=x"), "minMhz");
    assertInvalid(http.get(base + "&minMhz="), "minMhz");
    assertInvalid(http.get(base + "&maxMhz=-1"), "maxMhz");
    assertInvalid(http.get(base + "&maxMhz=300000.1"), "maxMhz");
    assertInvalid(http.get(base + "&minMhz=500&maxMhz=100"), "maxMhz");
    assertInvalid(http.get(base + "&limit=0"), "limit");
    assertInvalid(http.get(base + "&limit=1001"), "limit");
    assertInvalid(http.get(base + "&limit=ten"), "limit");
    assertInvalid(http.get(base + "&status=FOO&minMhz=x&limit=0"), "status", "minMhz", "limit");
    assertInvalid(http.get("/api/v1/allocations?theater=bad%20name"), "theater");
    assertInvalid(http.get("/api/v1/allocations?theater="), "theater");
    assertEquals(List.of(), listed(http, "theater=" + t + "&status=APPROVED&minMhz=0&maxMhz=300000&limit=1000"));
  }

  @Test
  void wrongMethodsAre405WithAllow() {
    assertAllows(http.get(REQUESTS), "POST");
    assertAllows(http.send("PUT", REQUESTS, Map.of("Content-Type", "application/json"), "{}"), "POST");
    assertAllows(http.send("DELETE", "/api/v1/allocations", Map.of(), null), "GET");
    assertAllows(http.postJson("/api/v1/allocations", "{}"), "GET");
    assertAllows(http.postJson("/api/v1/allocations/x-1", "{}"), "GET", "DELETE");
    assertAllows(http.send("PUT", "/api/v1/allocations/x-1", Map.of("Content-Type", "application/json"), "{}"), "GET", "DELETE");
    assertAllows(http.postJson("/api/v1/roe", GOOD_ROE), "GET", "PUT");
    assertAllows(http.send("DELETE", "/api/v1/roe", Map.of(), null), "GET", "PUT");
    assertEquals(List.of(), listed(http, "theater=x"));
    assertEquals(0, getRoe(http, "default").get("restrictedBands").size(), "POST /roe changed no rules");
  }

  @Test
  void nonJsonOrMalformedRequestBodiesAreRejectedAndRecordNothing() {
    String t = theater();
    String good = request(t, "a", 1000).toString();
    assertProblem(http.send("POST", REQUESTS, Map.of("Content-Type", "text/plain"), good), 415);
    assertProblem(http.send("POST", REQUESTS, Map.of(), good), 415);
    assertProblem(http.postJson(REQUESTS, good.substring(0, good.length() - 1)), 400);
    assertProblem(http.postJson(REQUESTS, "[" + good + "]"), 400);
    assertProblem(http.postJson(REQUESTS, good + good), 400);
    assertProblem(http.postJson(REQUESTS, ""), 400);
    assertNothingRecorded(t);
  }

  private static String theater() {
    return "bad-" + THEATERS.incrementAndGet();
  }

  /** The theater holds no allocation and took no decision: the next good request is its first of each. */
  private static void assertNothingRecorded(String theater) {
    assertEquals(List.of(), listed(http, "theater=" + theater));
    assertEquals(List.of(), listed(http, "theater=default"), "nothing fell through to the default theater");
    JsonNode d = decide(http, request(theater, "after", 1000));
    assertEquals("APPROVED", d.get("status").asText(), d::toString);
    assertEquals(theater + "-1", d.get("allocationId").asText());
    assertEquals(theater + "-d1", d.get("decisionId").asText(), "no decision was recorded for the bad request");
    assertEquals(List.of(theater + "-1"), listed(http, "theater=" + theater));
  }

  private static void assertAllows(HttpClientForTests.Answer answer, String... methods) {
    assertProblem(answer, 405);
    String allow = answer.header("Allow");
    assertNotNull(allow, "405 without Allow");
    Set<String> allowed = Arrays.stream(allow.split(",")).map(String::trim).collect(Collectors.toSet());
    assertEquals(Set.of(methods), allowed, () -> "Allow: " + allow);
  }
}
