package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.TestNodes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Users, roles, keys, permission checks and the audit log over HTTP, on a real node. */
// Few stream slots (6, the last 1 kept for administrators; 3 per key), so that filling them takes a
// test only a few streams; keep-alives every second, so a closed stream frees its slot soon.
@RunningNodeTest(config = {"troupe.broker.max-streams = 6", "troupe.broker.admin-reserved-streams = 1",
    "troupe.broker.max-streams-per-key = 3", "troupe.broker.stream-keep-alive = 1s"})
class SecurityRoutesTest {

  @FromNode private static HttpClientForTests admin;
  /** Opened when the class initializes, before its node starts (see RunningNodeTest): the node's start is captured too. */
  private static final LogCapture logs = LogCapture.open();

  @AfterAll
  static void stop() {
    logs.close();
  }

  @Test
  void aNewUsersKeyWorksIsShownOnceAndStoredOnlyAsADigest() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "Ana Operator", "USER");
    assertTrue(user.key().startsWith("trp." + user.userId() + "." + user.keyId() + "."), user.key());
    // 32 random bytes, base64url without padding.
    assertEquals(43, user.key().substring(user.key().lastIndexOf('.') + 1).length());
    HttpClientForTests as = admin.as(user.key());
    assertEquals(200, as.get("/api/v1/topics").status());

    HttpClientForTests.Answer read = admin.get("/api/v1/security/users/" + user.userId());
    assertEquals(200, read.status(), read::body);
    JsonNode body = read.json();
    assertEquals("Ana Operator", body.get("name").asText());
    assertEquals("USER", body.get("role").asText());
    assertEquals(user.keyId(), body.get("apiKeys").get(0).get("keyId").asText());
    assertFalse(read.body().contains(user.key().substring(user.key().lastIndexOf('.') + 1)), "secret in the user view");
    assertFalse(read.body().toLowerCase().contains("digest"), read.body());
  }

  /** The node had the user's credentials cached from the first key: the second works at once all the same. */
  @Test
  void aSecondKeyWorksAtOnceWhileTheFirstIsInUse() {
    SecurityCalls.UserKey first = SecurityCalls.userWithKey(admin, "Two Keys", "USER");
    assertEquals(200, admin.as(first.key()).get("/api/v1/topics").status());
    SecurityCalls.UserKey second = SecurityCalls.newKey(admin, first.userId());
    HttpClientForTests.Answer answer = admin.as(second.key()).get("/api/v1/topics");
    assertEquals(200, answer.status(), answer::body);
  }

  @Test
  void aRevokedKeyIsRefusedAtOnceAndOtherKeysKeepWorking() {
    SecurityCalls.UserKey first = SecurityCalls.userWithKey(admin, "two keys", "USER");
    SecurityCalls.UserKey second = SecurityCalls.newKey(admin, first.userId());
    assertEquals(200, admin.as(first.key()).get("/api/v1/topics").status());
    HttpClientForTests.Answer revoked = admin.send("DELETE",
        "/api/v1/security/users/" + first.userId() + "/api-keys/" + first.keyId(), Map.of(), null);
    assertEquals(200, revoked.status(), revoked::body);
    assertNotNull(revoked.json().get("revokedAt").asText());
    assertEquals(401, admin.as(first.key()).get("/api/v1/topics").status());
    assertEquals(200, admin.as(second.key()).get("/api/v1/topics").status());
    // Revoking again is harmless; an unknown key is 404.
    assertEquals(200, admin.send("DELETE", "/api/v1/security/users/" + first.userId() + "/api-keys/" + first.keyId(),
        Map.of(), null).status());
    assertEquals(404, admin.send("DELETE", "/api/v1/security/users/" + first.userId() + "/api-keys/k-none",
        Map.of(), null).status());
  }

  @Test
  void revokingAKeyEndsTheStreamsItOpened() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "streamer", "USER");
    try (SseStream stream = SseStream.open(admin.base, "/api/v1/topics/revoked-stream/stream?from=1",
        Map.of("Authorization", "Bearer " + user.key()))) {
      assertEquals(201, admin.postJson("/api/v1/topics/revoked-stream/messages",
          "{\"sender\": \"t\", \"messageType\": \"n\", \"content\": 1}").status());
      assertEquals(1, stream.next(Duration.ofSeconds(10)).offset(), "the stream delivers while the key is valid");
      assertEquals(200, admin.send("DELETE", "/api/v1/security/users/" + user.userId() + "/api-keys/" + user.keyId(),
          Map.of(), null).status());
      long revoked = System.nanoTime();
      AssertionError ended = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
          () -> stream.next(Duration.ofSeconds(5)));
      assertTrue(ended.getMessage().contains("SSE stream ended"), ended.getMessage());
      assertTrue(System.nanoTime() - revoked < Duration.ofMillis(2500).toNanos(), "the stream ended within ~1 s");
    }
  }

  @Test
  void aRoleChangeTakesEffectAtOnce() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "demoted", "USER");
    HttpClientForTests as = admin.as(user.key());
    String publish = "{\"sender\": \"t\", \"messageType\": \"n\", \"content\": 1}";
    assertEquals(201, as.postJson("/api/v1/topics/role-change/messages", publish).status());
    HttpClientForTests.Answer changed = admin.send("PUT", "/api/v1/security/users/" + user.userId() + "/role",
        Map.of("Content-Type", "application/json"), "{\"role\": \"READONLY\"}");
    assertEquals(200, changed.status(), changed::body);
    assertEquals("READONLY", changed.json().get("role").asText());
    HttpClientForTests.Answer denied = as.postJson("/api/v1/topics/role-change/messages", publish);
    assertEquals(403, denied.status(), denied::body);
    assertEquals(200, as.get("/api/v1/topics/role-change/messages").status());
  }

  @Test
  void checkPermissionAnswersForTheCallerAndForOthersOnlyToAdmins() {
    SecurityCalls.UserKey reader = SecurityCalls.userWithKey(admin, "reader", "READONLY");
    HttpClientForTests as = admin.as(reader.key());
    HttpClientForTests.Answer own = as.postJson("/api/v1/security/check-permission", "{\"permission\": \"roe:write\"}");
    assertEquals(200, own.status(), own::body);
    assertFalse(own.json().get("allowed").asBoolean());
    assertEquals("READONLY", own.json().get("role").asText());
    assertEquals(403, as.postJson("/api/v1/security/check-permission",
        "{\"permission\": \"roe:write\", \"userId\": \"admin\"}").status());
    HttpClientForTests.Answer other = admin.postJson("/api/v1/security/check-permission",
        "{\"permission\": \"topics:read\", \"userId\": \"" + reader.userId() + "\"}");
    assertEquals(200, other.status(), other::body);
    assertTrue(other.json().get("allowed").asBoolean());
    HttpClientForTests.Answer bad = admin.postJson("/api/v1/security/check-permission", "{\"permission\": \"fly\"}");
    assertEquals(400, bad.status());
    assertTrue(bad.json().get("errors").has("permission"), bad::body);
  }

  @Test
  void permissionsAndRolesAreListed() {
    HttpClientForTests.Answer a = admin.as(SecurityCalls.userWithKey(admin, "lister", "READONLY").key())
        .get("/api/v1/security/permissions");
    assertEquals(200, a.status(), a::body);
    List<String> ids = a.json().get("permissions").findValuesAsText("id");
    assertTrue(ids.containsAll(List.of("agents:write", "sessions:run", "deconfliction:request", "roe:write",
        "costs:read", "security:admin")), ids::toString);
    assertEquals(ids.size(), a.json().get("roles").get("ADMIN").size());
  }

  @Test
  void badInputsAre400AndChangeNothing() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "unchanged", "USER");
    String path = "/api/v1/security/users/" + user.userId();
    for (String body : List.of("{}", "{\"role\": \"GOD\"}", "{\"role\": 3}", "[]", "{\"role\": \"ADMIN\"} x")) {
      HttpClientForTests.Answer a = admin.send("PUT", path + "/role", Map.of("Content-Type", "application/json"), body);
      assertEquals(400, a.status(), body + " -> " + a.body());
      assertTrue(a.contentType().startsWith("application/problem+json"));
    }
    assertEquals("USER", admin.get(path).json().get("role").asText());
    for (String body : List.of("{}", "{\"name\": \"\"}", "{\"name\": \"x\", \"role\": \"root\"}")) {
      HttpClientForTests.Answer a = admin.postJson("/api/v1/security/users", body);
      assertEquals(400, a.status(), body + " -> " + a.body());
    }
    assertEquals(400, admin.get("/api/v1/security/users/NOT_AN_ID").status());
    assertEquals(404, admin.get("/api/v1/security/users/u-0000000000000000").status());
    assertEquals(404, admin.postJson("/api/v1/security/users/u-0000000000000000/api-keys", "{}").status());
    assertEquals(400, admin.get("/api/v1/security/audit?limit=0").status());
    assertEquals(400, admin.get("/api/v1/security/audit?since=yesterday").status());
  }

  @Test
  void theAuditLogRecordsFailuresDenialsAndChangesButNoSecrets() throws Exception {
    SecurityCalls.UserKey reader = SecurityCalls.userWithKey(admin, "audited", "READONLY");
    HttpClientForTests as = admin.as(reader.key());
    assertEquals(403, as.send("PUT", "/api/v1/roe", Map.of("Content-Type", "application/json"), "{}").status());
    assertEquals(401, admin.as("wrong-key-wrong-key").get("/api/v1/topics").status());
    assertEquals(201, admin.postJson("/api/v1/topics/audited/messages", "{\"sender\": \"t\", \"messageType\": \"n\", \"content\": \"s3cr3t-body\"}")
        .status());

    Eventually.await(Duration.ofSeconds(10), "the audit entries", () -> {
      JsonNode denied = admin.get("/api/v1/security/audit?userId=" + reader.userId()).json().get("entries");
      assertTrue(denied.size() >= 1, denied::toString);
      JsonNode d = denied.get(0);
      assertEquals("DENIED", d.get("outcome").asText());
      assertEquals("PUT /api/v1/roe", d.get("action").asText());
      assertEquals("roe:write", d.get("permission").asText());
      assertEquals(403, d.get("status").asInt());
      assertEquals("127.0.0.1", d.get("remoteAddress").asText());
      assertEquals(reader.keyId(), d.get("keyId").asText());

      JsonNode failures = admin.get("/api/v1/security/audit?action=AUTH_FAILED").json().get("entries");
      assertTrue(failures.size() >= 1, failures::toString);
      assertTrue(failures.get(0).get("userId").isNull());

      JsonNode changes = admin.get("/api/v1/security/audit?userId=admin&action=topics:write").json().get("entries");
      assertTrue(changes.size() >= 1, changes::toString);
      assertEquals("OK", changes.get(0).get("outcome").asText());
      assertEquals("/api/v1/topics/audited/messages", changes.get(0).get("resource").asText());
      return java.util.Optional.of(true);
    });
    String all = admin.get("/api/v1/security/audit?limit=1000").body();
    assertFalse(all.contains("s3cr3t-body"), "a request body reached the audit log");
    assertFalse(all.contains("wrong-key-wrong-key"), "a presented key reached the audit log");
    for (String key : SecurityCalls.ISSUED_KEYS) {
      assertFalse(all.contains(key.substring(key.lastIndexOf('.') + 1)), "a key reached the audit log");
    }
    assertFalse(all.contains(TestNodes.ADMIN_TOKEN));
  }

  @Test
  void statsCountUsersKeysAndRecentOutcomes() {
    SecurityCalls.userWithKey(admin, "counted", "READONLY");
    Eventually.holds("the users are counted", () -> {
      HttpClientForTests.Answer a = admin.get("/api/v1/security/stats");
      assertEquals(200, a.status(), a::body);
      JsonNode s = a.json();
      assertTrue(s.get("users").asInt() >= 2, a::body);
      assertTrue(s.get("usersByRole").get("ADMIN").asInt() >= 1, a::body);
      assertTrue(s.get("activeKeys").asInt() >= 2, a::body);
    });
  }

  @Test
  void aRevokedBootstrapKeyStaysRevokedWhenANodeStartsWithTheSameToken() throws Exception {
    // A separate node: revoking the bootstrap key here would lock the other tests out.
    try (RunningNode other = RunningNode.startAlone(TestDatabase.fresh())) {
      SecurityCalls.UserKey second = SecurityCalls.userWithKey(other.http, "second admin", "ADMIN");
      HttpClientForTests admin2 = other.http.as(second.key());
      assertEquals(200, admin2.send("DELETE", "/api/v1/security/users/admin/api-keys/bootstrap", Map.of(), null).status());
      assertEquals(401, other.http.get("/api/v1/topics").status(), "the token was revoked");
      // What a restart with TROUPE_ADMIN_TOKEN unchanged asks of the admin entity.
      var ensured = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(other.node.system())
          .entityRefFor(io.troupe.runtime.governance.security.ApiUser.ENTITY_KEY, "admin")
          .<io.troupe.runtime.governance.security.ApiUser.AdminEnsured>ask(r ->
              new io.troupe.runtime.governance.security.ApiUser.EnsureAdmin(
                  io.troupe.runtime.governance.security.ApiKeys.digest(TestNodes.ADMIN_TOKEN), true, r),
              Duration.ofSeconds(10))
          .toCompletableFuture().get(15, java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(ensured.revoked(), ensured::toString);
      assertEquals(401, other.http.get("/api/v1/topics").status(), "a restart must not bring a revoked token back");
      // A different token does replace it.
      String fresh = "a-new-operator-token-123";
      org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(other.node.system())
          .entityRefFor(io.troupe.runtime.governance.security.ApiUser.ENTITY_KEY, "admin")
          .<io.troupe.runtime.governance.security.ApiUser.AdminEnsured>ask(r ->
              new io.troupe.runtime.governance.security.ApiUser.EnsureAdmin(
                  io.troupe.runtime.governance.security.ApiKeys.digest(fresh), true, r),
              Duration.ofSeconds(10))
          .toCompletableFuture().get(15, java.util.concurrent.TimeUnit.SECONDS);
      Eventually.await(Duration.ofSeconds(5), "the new token in force", () ->
          other.http.as(fresh).get("/api/v1/topics").status() == 200 ? java.util.Optional.of(true)
              : java.util.Optional.empty());
    }
  }

  @Test
  void noKeyOrTokenAppearsInAnyLogLine() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "logged", "USER");
    admin.as(user.key()).get("/api/v1/topics");
    admin.as(user.key() + "x").get("/api/v1/topics");
    admin.send("DELETE", "/api/v1/security/users/" + user.userId() + "/api-keys/" + user.keyId(), Map.of(), null);
    admin.as(user.key()).get("/api/v1/topics");
    List<String> lines = logs.lines();
    assertFalse(lines.isEmpty(), "nothing was captured");
    for (String line : lines) {
      assertFalse(line.contains(TestNodes.ADMIN_TOKEN), line);
      for (String key : SecurityCalls.ISSUED_KEYS) {
        assertFalse(line.contains(key.substring(key.lastIndexOf('.') + 1)), line);
      }
    }
  }

  private static String quotasPath(String userId) {
    return "/api/v1/security/users/" + userId + "/quotas";
  }

  @Test
  void anAdministratorSetsAUsersQuotasAndGetShowsThemWithTheDefaultsAndUse() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "quota holder", "USER");
    HttpClientForTests.Answer initial = admin.get(quotasPath(user.userId()));
    assertEquals(200, initial.status(), initial::body);
    JsonNode defaults = initial.json().get("defaults");
    assertEquals(100, defaults.get("agents").asInt());
    assertEquals(50, defaults.get("concurrentSessions").asInt());
    assertEquals(20, defaults.get("sseStreams").asInt());
    assertEquals(1000, defaults.get("topics").asInt());
    assertEquals(defaults, initial.json().get("quotas"), "no own quotas: the defaults");
    assertEquals(0, initial.json().get("use").get("concurrentSessions").asInt());

    HttpClientForTests.Answer set = admin.send("PUT", quotasPath(user.userId()), Map.of("Content-Type", "application/json"),
        "{\"concurrentSessions\": 3, \"sseStreams\": 2}");
    assertEquals(200, set.status(), set::body);
    assertEquals(3, set.json().get("quotas").get("concurrentSessions").asInt());
    assertEquals(2, set.json().get("quotas").get("sseStreams").asInt());
    assertEquals(100, set.json().get("quotas").get("agents").asInt(), "not set: the default");
    assertTrue(set.json().get("own").get("agents").isNull());
    assertEquals(set.json().get("quotas"), admin.get(quotasPath(user.userId())).json().get("quotas"), "kept");

    // Bad input: 400 naming the field, and nothing changes.
    for (String bad : List.of("{\"sseStreams\": 0}", "{\"agents\": \"many\"}", "{\"agents\": 1.5}",
        "{\"streams\": 4}", "{\"agents\": 99999999999}", "{\"topics\": -1}")) {
      HttpClientForTests.Answer refused = admin.send("PUT", quotasPath(user.userId()),
          Map.of("Content-Type", "application/json"), bad);
      assertEquals(400, refused.status(), bad + " -> " + refused.body());
      assertEquals("application/problem+json", refused.contentType());
    }
    assertEquals(set.json().get("quotas"), admin.get(quotasPath(user.userId())).json().get("quotas"), "unchanged");
    // Only administrators; an unknown user is 404.
    assertEquals(403, admin.as(user.key()).get(quotasPath(user.userId())).status());
    assertEquals(403, admin.as(user.key()).send("PUT", quotasPath(user.userId()),
        Map.of("Content-Type", "application/json"), "{\"sseStreams\": 100}").status());
    assertEquals(404, admin.get(quotasPath("u-nobody")).status());
  }

  @Test
  void aUsersSseStreamsQuotaLimitsTheirOpenStreams() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "one stream", "USER");
    assertEquals(200, admin.send("PUT", quotasPath(user.userId()), Map.of("Content-Type", "application/json"),
        "{\"sseStreams\": 1}").status());
    HttpClientForTests as = admin.as(user.key());
    try (SseStream first = SseStream.open(admin.base, "/api/v1/topics/quota-stream/stream",
        Map.of("Authorization", "Bearer " + user.key()))) {
      HttpClientForTests.Answer second = as.get("/api/v1/topics/quota-stream/stream");
      assertEquals(429, second.status(), second::body);
      assertEquals("quota exceeded: user " + user.userId() + " already has 1 streams open on this node, its"
          + " sseStreams quota is 1; close one first", second.json().get("detail").asText());
      assertEquals(1, admin.get(quotasPath(user.userId())).json().get("use").get("sseStreams").asInt());
    }
    awaitNoStreams(user.userId());
  }

  /**
   * Issue 13: one key took all 1,000 stream slots of a node, locking the admin out. Now a key may
   * hold only max-streams-per-key, and the last admin-reserved-streams slots are administrators'.
   */
  @Test
  void oneKeyCannotTakeEveryStreamSlotAndTheAdministratorCanStillOpenOne() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "stream hog", "USER");
    SecurityCalls.UserKey second = SecurityCalls.newKey(admin, user.userId());
    List<SseStream> open = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        open.add(SseStream.open(admin.base, "/api/v1/topics/hog/stream", Map.of("Authorization", "Bearer " + user.key())));
      }
      HttpClientForTests.Answer fourth = admin.as(user.key()).get("/api/v1/topics/hog/stream");
      assertEquals(429, fourth.status(), fourth::body);
      assertTrue(fourth.json().get("detail").asText().contains("max-streams-per-key = 3"), fourth.body());
      // Another key of the same user fills the node up to the administrators' slot: then 503.
      for (int i = 0; i < 2; i++) {
        open.add(SseStream.open(admin.base, "/api/v1/topics/hog/stream",
            Map.of("Authorization", "Bearer " + second.key())));
      }
      HttpClientForTests.Answer full = admin.as(second.key()).get("/api/v1/topics/hog/stream");
      assertEquals(503, full.status(), full::body);
      assertTrue(full.json().get("detail").asText().contains("kept for administrators"), full.body());
      // The administrator still gets a stream.
      open.add(SseStream.open(admin.base, "/api/v1/topics/hog/stream", Map.of()));
    } finally {
      open.forEach(SseStream::close);
    }
    awaitNoStreams(user.userId());
    awaitNoStreams(io.troupe.runtime.governance.security.ApiUser.ADMIN_ID);
  }

  /** Closed streams free their slots once the node notices (at the next keep-alive). */
  private static void awaitNoStreams(String userId) {
    Eventually.await(Duration.ofSeconds(20), "streams of " + userId + " closed", () ->
        admin.get(quotasPath(userId)).json().get("use").get("sseStreams").asInt() == 0
            ? java.util.Optional.of(true) : java.util.Optional.empty());
  }

  /** A user creates topics (publishes their first message) up to the topics quota; 403 then, appending nothing. */
  @Test
  void aUsersTopicsQuotaRefusesANewTopicButNotOnesThatExist() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(admin, "topic maker", "USER");
    assertEquals(200, admin.send("PUT", quotasPath(user.userId()), Map.of("Content-Type", "application/json"),
        "{\"topics\": 2}").status());
    HttpClientForTests as = admin.as(user.key());
    String prefix = "quota-topic-" + user.userId();
    BrokerCalls.publish(as, prefix + "-a", "1");
    BrokerCalls.publish(as, prefix + "-b", "2");
    BrokerCalls.publish(as, prefix + "-a", "3"); // exists: creates nothing
    BrokerCalls.publish(admin, prefix + "-other", "4"); // another user's topic
    BrokerCalls.publish(as, prefix + "-other", "5");

    HttpClientForTests.Answer refused = as.postJson(BrokerCalls.messagesPath(prefix + "-c"),
        BrokerCalls.body("s", null, "note", "6"));
    assertEquals(403, refused.status(), refused::body);
    assertEquals("quota exceeded: user " + user.userId() + " created 2 topics, its topics quota is 2; publish to a"
        + " topic that exists", refused.json().get("detail").asText());
    assertEquals(0, BrokerCalls.messages(admin, prefix + "-c", "").get("messages").size(), "nothing appended");
    assertEquals(2, admin.get(quotasPath(user.userId())).json().get("use").get("topics").asInt());
  }
}
