package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.SpectrumCalls.allocation;
import static io.troupe.http.SpectrumCalls.approved;
import static io.troupe.http.SpectrumCalls.listed;
import static io.troupe.http.SpectrumCalls.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Allocations belong to whoever requested them (issue 13, point 7): only they or an ADMIN release
 * them, and IMMEDIATE/FLASH (which preempt others) need deconfliction:priority, ADMIN's by default.
 * The same holds for an agent's tool calls, which act for the session's owner.
 */
@RunningNodeTest
class AllocationOwnershipTest {

  @FromNode private static HttpClientForTests admin;
  private static SecurityCalls.UserKey alice;
  private static SecurityCalls.UserKey bob;

  @BeforeAll
  static void users() {
    SecurityCalls.TwoUsers users = SecurityCalls.aliceAndBob(admin);
    alice = users.alice();
    bob = users.bob();
  }

  @Test
  void anAllocationRecordsItsRequester() {
    String id = approved(admin.as(alice.key()), request("own-rec", "radio-a", 150));
    assertEquals(alice.userId(), allocation(admin, id).get("requestedBy").asText());
  }

  @Test
  void anotherUserCannotReleaseAnAllocationAndItStaysApproved() {
    String id = approved(admin.as(alice.key()), request("own-rel", "radio-a", 150));
    JsonNode problem = assertProblem(admin.as(bob.key()).send("DELETE", "/api/v1/allocations/" + id, java.util.Map.of(), null), 403);
    assertTrue(problem.get("detail").asText().contains("only its requester or an administrator"), problem::toString);
    assertEquals("APPROVED", allocation(admin, id).get("status").asText());

    var own = admin.as(alice.key()).send("DELETE", "/api/v1/allocations/" + id, java.util.Map.of(), null);
    assertEquals(200, own.status(), own.body());
    assertEquals("RELEASED", own.json().get("status").asText());
  }

  @Test
  void anAdminMayReleaseAnyonesAllocation() {
    String id = approved(admin.as(alice.key()), request("own-adm", "radio-a", 150));
    var released = admin.send("DELETE", "/api/v1/allocations/" + id, java.util.Map.of(), null);
    assertEquals(200, released.status(), released.body());
    assertEquals("RELEASED", allocation(admin, id).get("status").asText());
  }

  @Test
  void aUserCannotPreemptAnotherWithFlashOrImmediateAndNothingIsDecided() {
    String victim = approved(admin.as(alice.key()), request("own-flash", "radio-a", 243.0));
    for (String priority : List.of("FLASH", "IMMEDIATE")) {
      var body = request("own-flash", "radio-b", 243.0).put("latitude", 50.0001).put("priority", priority);
      JsonNode problem = assertProblem(admin.as(bob.key()).postJson(SpectrumCalls.REQUESTS, body.toString()), 403);
      assertTrue(problem.get("detail").asText().contains("deconfliction:priority"), problem::toString);
    }
    assertEquals("APPROVED", allocation(admin, victim).get("status").asText());
    assertEquals(List.of(victim), listed(admin, "theater=own-flash"), "no decision recorded an allocation");
    assertEquals(1, decisions(admin, "own-flash"), "only the first request was decided");

    // PRIORITY needs no extra permission; an ADMIN may preempt.
    approved(admin.as(bob.key()), request("own-flash", "radio-p", 5000).put("priority", "PRIORITY"));
    var flash = request("own-flash", "radio-c", 243.0).put("latitude", 50.0001).put("priority", "FLASH");
    JsonNode decision = SpectrumCalls.decide(admin, flash);
    assertEquals("APPROVED", decision.get("status").asText(), decision::toString);
    assertEquals(victim, decision.get("preempted").get(0).asText());
  }

  @Test
  void anAgentsToolCallsActForTheSessionsOwner() {
    String victim = approved(admin.as(alice.key()), request("own-tool", "radio-a", 243.0));
    HttpClientForTests asBob = admin.as(bob.key());
    String agent = AgentCalls.uniqueName("own-tool-agent");
    AgentCalls.define(asBob, agent, AgentCalls.scripted("Spectrum tester",
        List.of("request_deconfliction", "release_allocation"),
        "[{\"toolCalls\":[{\"name\":\"release_allocation\",\"arguments\":{\"allocationId\":\"" + victim + "\"}},"
            + "{\"name\":\"request_deconfliction\",\"arguments\":{\"assetRid\":\"radio-b\",\"frequencyMhz\":243.0,"
            + "\"bandwidthKhz\":25,\"powerDbm\":30,\"latitude\":50.0001,\"longitude\":10,\"durationMinutes\":60,"
            + "\"priority\":\"FLASH\",\"theater\":\"own-tool\"}},"
            + "{\"name\":\"request_deconfliction\",\"arguments\":{\"assetRid\":\"radio-c\",\"frequencyMhz\":5000,"
            + "\"bandwidthKhz\":25,\"powerDbm\":30,\"latitude\":50,\"longitude\":10,\"durationMinutes\":60,"
            + "\"theater\":\"own-tool\"}}]},"
            + "{\"text\":\"done\"}]"));
    var started = AgentCalls.startRaw(asBob, agent, "{\"input\":\"try it\"}");
    assertEquals(202, started.status(), started.body());
    String session = started.json().get("sessionId").asText();
    JsonNode view = AgentCalls.awaitEnd(asBob, session);
    JsonNode calls = view.get("toolCalls");
    assertEquals(3, calls.size(), view::toString);
    assertEquals("ERROR", calls.get(0).get("outcome").asText(), calls.get(0)::toString);
    assertTrue(calls.get(0).toString().contains("only its requester or an administrator"), calls.get(0)::toString);
    assertEquals("ERROR", calls.get(1).get("outcome").asText(), calls.get(1)::toString);
    assertTrue(calls.get(1).toString().contains("deconfliction:priority"), calls.get(1)::toString);
    assertEquals("OK", calls.get(2).get("outcome").asText(), calls.get(2)::toString);
    assertEquals("APPROVED", allocation(admin, victim).get("status").asText());
    assertEquals(bob.userId(), allocation(admin, "own-tool-2").get("requestedBy").asText(),
        "the tool's allocation belongs to the session's owner");
  }

  @Test
  void anAdminGrantsDeconflictionPriorityToOneUserAndWithdrawsIt() {
    SecurityCalls.UserKey carol = SecurityCalls.userWithKey(admin, "Carol", "USER");
    HttpClientForTests asCarol = admin.as(carol.key());
    String grant = "/api/v1/security/users/" + carol.userId() + "/grants/deconfliction:priority";
    assertProblem(admin.as(bob.key()).send("PUT", grant, java.util.Map.of(), null), 403); // only an ADMIN grants
    var granted = admin.send("PUT", grant, java.util.Map.of(), null);
    assertEquals(200, granted.status(), granted.body());
    assertEquals("[\"deconfliction:priority\"]", granted.json().get("grants").toString());
    assertEquals("[\"deconfliction:priority\"]", admin.get("/api/v1/security/users/" + carol.userId()).json()
        .get("grants").toString());
    assertTrue(asCarol.postJson("/api/v1/security/check-permission", "{\"permission\":\"deconfliction:priority\"}")
        .json().get("allowed").asBoolean());

    String victim = approved(admin.as(alice.key()), request("own-grant", "radio-a", 243.0));
    JsonNode flash = SpectrumCalls.decide(asCarol,
        request("own-grant", "radio-c", 243.0).put("latitude", 50.0001).put("priority", "FLASH"));
    assertEquals("APPROVED", flash.get("status").asText(), flash::toString);
    assertEquals(List.of(victim), List.of(flash.get("preempted").get(0).asText()));

    // An agent's tool call acts with its owner's grant too.
    String agent = AgentCalls.uniqueName("own-grant-agent");
    AgentCalls.define(asCarol, agent, AgentCalls.scripted("Priority tester", List.of("request_deconfliction"),
        AgentCalls.toolThenAnswer("asking", "request_deconfliction", "{\"assetRid\":\"radio-d\",\"frequencyMhz\":7000,"
            + "\"bandwidthKhz\":25,\"powerDbm\":30,\"latitude\":50,\"longitude\":10,\"durationMinutes\":60,"
            + "\"priority\":\"IMMEDIATE\",\"theater\":\"own-grant\"}", "done")));
    var started = AgentCalls.startRaw(asCarol, agent, "{\"input\":\"go\"}");
    assertEquals(202, started.status(), started.body());
    JsonNode view = AgentCalls.awaitEnd(asCarol, started.json().get("sessionId").asText());
    assertEquals("OK", view.get("toolCalls").get(0).get("outcome").asText(), view::toString);

    var withdrawn = admin.send("DELETE", grant, java.util.Map.of(), null);
    assertEquals(200, withdrawn.status(), withdrawn.body());
    assertEquals("[]", withdrawn.json().get("grants").toString());
    assertProblem(asCarol.postJson(SpectrumCalls.REQUESTS,
        request("own-grant", "radio-e", 9000).put("priority", "FLASH").toString()), 403);
  }

  @Test
  void onlyGrantablePermissionsCanBeGranted() {
    String user = "/api/v1/security/users/" + bob.userId() + "/grants/";
    assertTrue(assertProblem(admin.send("PUT", user + "security:admin", java.util.Map.of(), null), 400)
        .toString().contains("cannot be granted"));
    assertProblem(admin.send("PUT", user + "no-such-permission", java.util.Map.of(), null), 400);
    assertEquals("[]", admin.get("/api/v1/security/users/" + bob.userId()).json().get("grants").toString());
  }

  private static long decisions(HttpClientForTests http, String theater) {
    // Decision ids number every decision of a theater: a probe request shows how many came before.
    JsonNode probe = SpectrumCalls.decide(http, request(theater, "probe", 100_000));
    String id = probe.get("decisionId").asText();
    return Long.parseLong(id.substring(id.lastIndexOf("-d") + 2)) - 1;
  }
}
