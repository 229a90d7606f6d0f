package io.troupe.http;

import static io.troupe.http.BrokerCalls.assertProblem;
import static io.troupe.http.SpectrumCalls.allocation;
import static io.troupe.http.SpectrumCalls.approved;
import static io.troupe.http.SpectrumCalls.putRoe;
import static io.troupe.http.SpectrumCalls.request;
import static io.troupe.http.SpectrumCalls.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Preemption held for an administrator's approval over HTTP (issue 14, point 8): a theater's ROE
 * says preemptionNeedsApproval; a preempting request is answered 202 PENDING_APPROVAL, listed,
 * and approved or rejected by an ADMIN only, once, with the review in the audit log.
 */
@RunningNodeTest(config = "troupe.deconfliction.max-pending-approvals = 2")
class SpectrumApprovalRoutesTest {

  private static final String NEEDS_APPROVAL = "{\"preemptionNeedsApproval\": true}";

  @FromNode private static HttpClientForTests admin;
  private static SecurityCalls.UserKey alice;
  private static SecurityCalls.UserKey reader;

  @BeforeAll
  static void users() {
    alice = SecurityCalls.userWithKey(admin, "Alice", "USER");
    reader = SecurityCalls.userWithKey(admin, "Reader", "READONLY");
  }

  /** A FLASH request co-located and co-channel with {@link #victim}'s: it would preempt it. */
  private static HttpClientForTests.Answer flash(String theater, String asset) {
    return admin.postJson(SpectrumCalls.REQUESTS, request(theater, asset, 243.0).put("latitude", 50.0001)
        .put("priority", "FLASH").toString());
  }

  /** Alice's ROUTINE allocation at 243 MHz in a theater whose ROE needs approval to preempt. */
  private static String victim(String theater) {
    putRoe(admin, theater, NEEDS_APPROVAL);
    return approved(admin.as(alice.key()), request(theater, "radio-a", 243.0));
  }

  private static JsonNode held(String theater, String asset, String victim) {
    HttpClientForTests.Answer answer = flash(theater, asset);
    assertEquals(202, answer.status(), answer::body);
    JsonNode d = answer.json();
    assertEquals("PENDING_APPROVAL", d.get("status").asText(), d::toString);
    assertEquals(List.of(victim), strings(d.get("wouldPreempt")));
    assertEquals("/api/v1/deconfliction/requests/" + d.get("decisionId").asText(), answer.header("Location"));
    return d;
  }

  private static HttpClientForTests.Answer review(HttpClientForTests as, String decisionId, String body) {
    return as.postJson("/api/v1/deconfliction/requests/" + decisionId + "/approval", body);
  }

  @Test
  void aHeldRequestIsListedAndAnAdminsApprovalPreempts() {
    String t = "hp-approve";
    String victim = victim(t);
    assertTrue(SpectrumCalls.getRoe(admin, t).get("preemptionNeedsApproval").asBoolean());
    JsonNode d = held(t, "radio-f", victim);
    String id = d.get("decisionId").asText();
    assertTrue(d.get("allocationId").isNull() && d.get("preempted").isEmpty(), d::toString);
    assertEquals(victim, d.get("conflicts").get(0).get("allocationId").asText());
    assertFalse(d.get("alternatives").isEmpty(), d::toString);
    assertEquals("APPROVED", allocation(admin, victim).get("status").asText(), "nothing preempted while held");

    // Readable by anyone who reads deconfliction: the pending list and the request itself.
    JsonNode page = admin.as(reader.key()).get("/api/v1/deconfliction/pending?theater=" + t).json();
    assertEquals(t, page.get("theater").asText());
    assertEquals(1, page.get("requests").size(), page::toString);
    JsonNode listed = page.get("requests").get(0);
    assertEquals(id, listed.get("decisionId").asText());
    assertEquals("PENDING_APPROVAL", listed.get("status").asText());
    assertEquals("admin", listed.get("requestedBy").asText());
    assertEquals("FLASH", listed.get("priority").asText());
    assertTrue(listed.get("expiresAt").isTextual() && listed.get("review").isNull(), listed::toString);
    assertEquals(listed, admin.get("/api/v1/deconfliction/requests/" + id).json());

    HttpClientForTests.Answer approval = review(admin, id, "{\"approve\": true, \"comment\": \"convoy first\"}");
    assertEquals(200, approval.status(), approval::body);
    JsonNode reviewed = approval.json();
    assertEquals("APPROVED", reviewed.get("status").asText(), reviewed::toString);
    assertEquals("APPROVED", reviewed.get("review").get("verdict").asText());
    assertEquals("admin", reviewed.get("review").get("reviewedBy").asText());
    assertEquals("convoy first", reviewed.get("review").get("comment").asText());
    JsonNode outcome = reviewed.get("decision");
    assertEquals(id, outcome.get("decisionId").asText());
    assertEquals(List.of(victim), strings(outcome.get("preempted")));
    String allocationId = outcome.get("allocationId").asText();
    assertEquals("PREEMPTED", allocation(admin, victim).get("status").asText());
    assertEquals("admin", allocation(admin, allocationId).get("requestedBy").asText());
    assertTrue(admin.get("/api/v1/deconfliction/pending?theater=" + t).json().get("requests").isEmpty());

    JsonNode again = assertProblem(review(admin, id, "{\"approve\": false}"), 409);
    assertTrue(again.get("detail").asText().contains("decided already: approved by admin"), again::toString);
    assertEquals("APPROVED", allocation(admin, allocationId).get("status").asText());

    // The audit log keeps who decided which request, the verdict, the comment and the outcome.
    JsonNode entry = Eventually.await(Duration.ofSeconds(10), "the approval's audit line", () -> {
      for (JsonNode e : admin.get("/api/v1/security/audit?action=APPROVE%20held%20request&limit=100").json()
          .get("entries")) {
        if (e.get("resource").asText().endsWith("/" + id)) {
          return Optional.of(e);
        }
      }
      return Optional.empty();
    });
    assertEquals("admin", entry.get("userId").asText());
    assertEquals("deconfliction:approve", entry.get("permission").asText());
    assertEquals("APPROVED " + id + ": \"convoy first\" -> APPROVED as " + allocationId + ", preempting " + victim,
        entry.get("detail").asText());
  }

  @Test
  void onlyAnAdminReviewsAndABadAnswerChangesNothing() {
    String t = "hp-forbidden";
    String victim = victim(t);
    String id = held(t, "radio-f", victim).get("decisionId").asText();
    for (HttpClientForTests other : List.of(admin.as(alice.key()), admin.as(reader.key()))) {
      JsonNode refused = assertProblem(review(other, id, "{\"approve\": true}"), 403);
      assertTrue(refused.get("detail").asText().contains("deconfliction:approve"), refused::toString);
    }
    JsonNode bad = assertProblem(review(admin, id, "{\"approve\": \"yes\", \"comment\": 3}"), 400);
    assertTrue(bad.toString().contains("approve") && bad.toString().contains("comment"), bad::toString);
    assertProblem(review(admin, t + "-d99", "{\"approve\": true}"), 404);
    assertProblem(review(admin, "not-a-decision", "{\"approve\": true}"), 404);
    assertProblem(admin.get("/api/v1/deconfliction/requests/" + t + "-d1"), 404); // decided at once, never held
    assertEquals("PENDING_APPROVAL", admin.get("/api/v1/deconfliction/requests/" + id).json().get("status").asText());
    assertEquals("APPROVED", allocation(admin, victim).get("status").asText());
  }

  @Test
  void aRejectedRequestPreemptsNothing() {
    String t = "hp-reject";
    String victim = victim(t);
    String id = held(t, "radio-f", victim).get("decisionId").asText();
    HttpClientForTests.Answer rejected = review(admin, id, "{\"approve\": false, \"comment\": \"not now\"}");
    assertEquals(200, rejected.status(), rejected::body);
    JsonNode r = rejected.json();
    assertEquals("REJECTED", r.get("status").asText());
    assertEquals("REJECTED", r.get("review").get("verdict").asText());
    assertTrue(r.get("decision").get("reasoning").asText().startsWith("Rejected by admin (\"not now\")"), r::toString);
    assertTrue(r.get("decision").get("allocationId").isNull() && r.get("decision").get("preempted").isEmpty(), r::toString);
    assertEquals("APPROVED", allocation(admin, victim).get("status").asText());
    assertProblem(review(admin, id, "{\"approve\": true}"), 409);
  }

  @Test
  void anApprovalAfterThePlanChangedAnswersTheNewDecision() {
    String t = "hp-changed";
    String victim = victim(t);
    String id = held(t, "radio-f", victim).get("decisionId").asText();
    assertEquals(200, admin.as(alice.key()).send("DELETE", "/api/v1/allocations/" + victim, Map.of(), null).status());
    HttpClientForTests.Answer approval = review(admin, id, "{\"approve\": true}");
    assertEquals(200, approval.status(), approval::body);
    JsonNode outcome = approval.json().get("decision");
    assertEquals("APPROVED", outcome.get("status").asText(), outcome::toString);
    assertTrue(outcome.get("preempted").isEmpty(), outcome::toString);
    assertTrue(outcome.get("reasoning").asText().contains("plan changed"), outcome::toString);
    assertEquals("RELEASED", allocation(admin, victim).get("status").asText());
  }

  @Test
  void aTheaterHoldsAtMostItsLimitThenRefusesWith409() {
    String t = "hp-limit";
    String victim = victim(t);
    held(t, "radio-f1", victim);
    held(t, "radio-f2", victim);
    JsonNode refused = assertProblem(flash(t, "radio-f3"), 409);
    assertTrue(refused.get("detail").asText().contains("max-pending-approvals"), refused::toString);
    assertEquals(2, admin.get("/api/v1/deconfliction/pending?theater=" + t).json().get("requests").size());
    // Without the flag the same request preempts at once, as it always did.
    putRoe(admin, t, "{}");
    HttpClientForTests.Answer now = flash(t, "radio-f4");
    assertEquals(200, now.status(), now::body);
    assertEquals(List.of(victim), strings(now.json().get("preempted")));
  }

  @Test
  void heldRequestsAreCountedAndReachTheReadSide() {
    String t = "hp-counted";
    String before = admin.get("/metrics").body();
    String victim = victim(t);
    String id = held(t, "radio-f", victim).get("decisionId").asText();
    String after = admin.get("/metrics").body();
    assertEquals(1, delta(before, after, "troupe_deconfliction_held_requests_total", "outcome=\"held\""));
    assertEquals(1.0, sample(after, "troupe_deconfliction_pending_approvals", "theater=\"" + t + "\""), after);
    assertEquals(0, delta(before, after, "embm_deconfliction_approvals_total", "priority=\"FLASH\""),
        "a held request is not approved yet");
    assertEquals(0, delta(before, after, "embm_deconfliction_preemptions_total"));

    JsonNode report = Eventually.await(Duration.ofSeconds(15), "the held decision on the read side", () -> {
      JsonNode r = admin.get("/api/v1/analytics/deconfliction?theater=" + t).json();
      return r.get("pendingApproval").asLong() == 1 ? Optional.of(r) : Optional.empty();
    });
    assertEquals(2, report.get("totalRequests").asLong(), report::toString);

    assertEquals(200, review(admin, id, "{\"approve\": false}").status());
    String rejected = admin.get("/metrics").body();
    assertEquals(1, delta(after, rejected, "troupe_deconfliction_held_requests_total", "outcome=\"rejected\""));
    assertEquals(1, delta(after, rejected, "embm_deconfliction_denials_total", "priority=\"FLASH\"", "reason=\"REJECTED\""));
    assertEquals(0.0, sample(rejected, "troupe_deconfliction_pending_approvals", "theater=\"" + t + "\""));
    Eventually.await(Duration.ofSeconds(15), "the rejection on the read side", () -> {
      JsonNode r = admin.get("/api/v1/analytics/deconfliction?theater=" + t).json();
      return r.get("rejected").asLong() == 1 && r.get("pendingApproval").asLong() == 0 ? Optional.of(r) : Optional.empty();
    });
  }

  @Test
  void theFlagIsValidatedAndDefaultsToOff() {
    String t = "hp-roe";
    JsonNode bad = assertProblem(admin.send("PUT", "/api/v1/roe?theater=" + t, Map.of("Content-Type", "application/json"),
        "{\"preemptionNeedsApproval\": \"yes\"}"), 400);
    assertTrue(bad.toString().contains("preemptionNeedsApproval"), bad::toString);
    assertFalse(SpectrumCalls.getRoe(admin, t).get("preemptionNeedsApproval").asBoolean());
    assertFalse(putRoe(admin, t, "{\"restrictedBands\": []}").get("preemptionNeedsApproval").asBoolean());
  }

  private static double delta(String before, String after, String name, String... labels) {
    return Math.max(0, sample(after, name, labels)) - Math.max(0, sample(before, name, labels));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.asText()));
    return out;
  }
}
