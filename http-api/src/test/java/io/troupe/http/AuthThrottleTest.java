package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import org.junit.jupiter.api.Test;

/**
 * Past the per-minute allowance of invalid keys, an address is refused with 429 for the rest of
 * the minute, before any unknown key is looked up; requests without a key are still a plain 401.
 * A valid key is still served from a throttled address (issue 13, point 15: an attacker sharing
 * or spoofing a victim's address must not lock the victim out): keys whose ids the node knows
 * are checked, from memory first; wrong secrets for known ids stay throttled. Each test guesses
 * from its own loopback address, so their allowances do not mix.
 */
@RunningNodeTest(config = "troupe.security.auth-failures-per-minute = " + AuthThrottleTest.ALLOWED)
class AuthThrottleTest {

  static final int ALLOWED = 5;
  @FromNode private static RunningNode node;

  @Test
  void anAddressThatGuessesIsRefusedForTheRestOfTheMinute() {
    for (int i = 0; i < ALLOWED; i++) {
      assertEquals(401, node.http.as("trp.u-" + i + ".k-0.guess").get("/api/v1/topics").status(), "attempt " + i);
    }
    HttpClientForTests.Answer refused = node.http.as("trp.u-99.k-0.guess").get("/api/v1/topics");
    assertEquals(429, refused.status(), refused::body);
    assertTrue(refused.contentType().startsWith("application/problem+json"));
    assertTrue(Integer.parseInt(refused.header("Retry-After")) >= 1);
    assertTrue(refused.json().get("detail").asText().contains("too many invalid API keys"), refused::body);
    assertEquals(429, node.http.as("not-the-admin-token-at-all").get("/api/v1/topics").status(),
        "an unknown key of any shape is refused unread");
    assertEquals(200, node.http.get("/api/v1/topics").status(), "the admin token that proved valid here is served");
    assertEquals(401, node.http.as(null).get("/api/v1/topics").status(), "a missing key is a plain 401");
  }

  @Test
  void aVictimsValidKeyIsServedFromAnAddressAnAttackerGotThrottled() {
    SecurityCalls.UserKey victim = SecurityCalls.userWithKey(node.http, "victim", "USER");
    String shared = "127.0.0.9"; // the victim's address (a NAT, or a value a trusted proxy passed on)
    for (int i = 0; i < ALLOWED; i++) {
      assertEquals(401, from(shared, "trp.u-attacker.k-" + i + ".guess").status(), "attempt " + i);
    }
    assertEquals(429, from(shared, "trp.u-attacker.k-99.guess").status(), "the address is throttled");

    RawHttp.Answer served = from(shared, victim.key());
    assertEquals(200, served.status(), served::text);
    assertEquals(429, from(shared, "trp.u-attacker.k-100.guess").status(), "invalid keys stay throttled");
    String knownIdsWrongSecret = "trp." + victim.userId() + "." + victim.keyId() + ".not-the-secret";
    assertEquals(429, from(shared, knownIdsWrongSecret).status(), "known ids with a wrong secret stay throttled");
    assertEquals(200, from(shared, victim.key()).status(), "and the victim is still served");
  }

  private static RawHttp.Answer from(String address, String key) {
    return RawHttp.exchangeFrom(address, node.ports.http(), "GET /api/v1/topics HTTP/1.1\r\n"
        + "Authorization: Bearer " + key, new byte[0]);
  }
}
