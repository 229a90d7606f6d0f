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
@RunningNodeTest
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
}
