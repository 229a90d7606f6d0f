package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import org.junit.jupiter.api.Test;

/**
 * Past the per-minute allowance of invalid keys, an address is refused with 429 for the rest of
 * the minute, before any key is looked up (a valid one included: the node cannot tell a guesser's
 * valid key from a stolen one); requests without a key are still a plain 401.
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
    assertEquals(429, node.http.get("/api/v1/topics").status(), "the address is refused, whatever key it sends");
    assertEquals(401, node.http.as(null).get("/api/v1/topics").status(), "a missing key is a plain 401");
  }
}
