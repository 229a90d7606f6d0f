package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, point 15: X-Forwarded-For names the client only when a trusted proxy sent it
 * (troupe.http.trusted-proxies), as the rightmost address that is not a trusted proxy. Before,
 * every client's header was believed: a fresh value per try escaped the invalid-key throttle, and
 * the audit log recorded whatever address the client chose. Requests come from different loopback
 * addresses: 127.0.0.2 is the trusted proxy, 127.0.0.3 and 127.0.0.4 plain clients.
 */
@RunningNodeTest(config = {"troupe.http.trusted-proxies = \"127.0.0.2/32, 10.0.0.0/8\"",
    "troupe.security.auth-failures-per-minute = " + ForwardedForTest.ALLOWED})
class ForwardedForTest {

  static final int ALLOWED = 3;

  @FromNode private static RunningNode node;
  @FromNode private static HttpClientForTests http;

  @Test
  void aClientsOwnHeaderNeitherEscapesTheThrottleNorNamesItsAuditAddress() {
    for (int i = 0; i < ALLOWED; i++) {
      assertEquals(401, guess("127.0.0.3", "/api/v1/topics/xff-untrusted/messages", "198.51.100." + i).status());
    }
    RawHttp.Answer refused = guess("127.0.0.3", "/api/v1/topics/xff-untrusted/messages", "198.51.100.99");
    assertEquals(429, refused.status(), refused::text);
    assertEquals("127.0.0.3", auditedAddress("/api/v1/topics/xff-untrusted/messages"));
  }

  @Test
  void aTrustedProxysHeaderNamesTheRightmostAddressThatIsNotAProxy() {
    assertEquals(401, guess("127.0.0.2", "/api/v1/topics/xff-trusted/messages",
        "198.51.100.7, 203.0.113.9, 10.1.2.3").status());
    assertEquals("203.0.113.9", auditedAddress("/api/v1/topics/xff-trusted/messages"));
    // Behind the proxy, each client has its own allowance: one guessing is refused, another is not.
    for (int i = 0; i < ALLOWED; i++) {
      assertEquals(401, guess("127.0.0.2", "/api/v1/topics", "203.0.113.50").status());
    }
    assertEquals(429, guess("127.0.0.2", "/api/v1/topics", "203.0.113.50").status());
    assertEquals(401, guess("127.0.0.2", "/api/v1/topics", "203.0.113.51").status());
    // Garbage from the proxy's side names no client: the proxy itself is counted.
    assertEquals(401, guess("127.0.0.2", "/api/v1/topics/xff-garbage/messages", "203.0.113.52, not-an-address").status());
    assertEquals("127.0.0.2", auditedAddress("/api/v1/topics/xff-garbage/messages"));
  }

  /** A request with a made-up key from {@code from}, carrying {@code forwardedFor}. */
  private static RawHttp.Answer guess(String from, String path, String forwardedFor) {
    return RawHttp.exchangeFrom(from, node.ports.http(), "GET " + path + " HTTP/1.1\r\n"
        + "Authorization: Bearer trp.u-0.k-0.guess\r\nX-Forwarded-For: " + forwardedFor, new byte[0]);
  }

  /** The address the audit log recorded for the failed authentication on {@code path}. */
  private static String auditedAddress(String path) {
    return Eventually.await(Duration.ofSeconds(10), "an audit entry for " + path, () -> {
      for (JsonNode entry : http.get("/api/v1/security/audit?action=AUTH_FAILED&limit=500").json().get("entries")) {
        if (path.equals(entry.get("resource").asText())) {
          return Optional.of(entry.get("remoteAddress").asText());
        }
      }
      return Optional.empty();
    });
  }
}
