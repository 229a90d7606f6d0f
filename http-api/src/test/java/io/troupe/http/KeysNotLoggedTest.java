package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, point 16: a malformed Authorization header is refused without its value reaching the
 * log (Pekko's "Illegal 'authorization' header" warning printed the whole key), and control
 * characters a client puts in a path or header never reach a log line raw. The shapes are sent
 * with a real key, which {@link SecurityCalls} records, so {@link NoSecretsInLogsIT} checks the
 * whole suite's log for it as well.
 */
@RunningNodeTest
class KeysNotLoggedTest {

  private static final LogCapture logs = LogCapture.open();

  @FromNode private static RunningNode node;
  @FromNode private static HttpClientForTests http;

  /**
   * Malformed ways to present a real key. Pekko's header parser refuses most of them (and used to
   * log the whole value); the guard reads the raw value and refuses what it cannot use.
   */
  static Map<String, String> malformedShapes(String key) {
    Map<String, String> shapes = new LinkedHashMap<>();
    shapes.put("two spaces", "Bearer  " + key);
    shapes.put("trailing token", "Bearer " + key + " extra");
    shapes.put("trailing comma", "Bearer " + key + ",");
    shapes.put("quoted", "Bearer \"" + key + "\"");
    shapes.put("colon after scheme", "Bearer:" + key);
    shapes.put("tab after scheme", "Bearer\t" + key);
    shapes.put("semicolon", "Bearer " + key + ";");
    shapes.put("at sign", "Bearer " + key + "@x");
    shapes.put("twice", "Bearer " + key + " Bearer " + key);
    shapes.put("basic with a space", "Basic " + key + " " + key);
    return shapes;
  }

  @Test
  void malformedAuthorizationHeadersAreRefusedAndTheirKeyIsNeverLogged() throws IOException {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(http, "log-probe", "USER");
    String secret = user.key().substring(user.key().lastIndexOf('.') + 1);
    List<String> sent = new ArrayList<>();
    malformedShapes(user.key()).forEach((shape, value) -> {
      RawHttp.Answer answer = RawHttp.exchange(node.ports.http(), "GET /api/v1/topics HTTP/1.1\r\nAuthorization: " + value,
          new byte[0]);
      // "two spaces" and "tab after scheme" still carry a usable bearer key; the rest are refused.
      assertTrue(answer.status() == 200 || answer.status() == 401, () -> shape + ": " + answer.text());
      assertTrue(answer.hasHeader("content-type: application/"), () -> shape + ": " + answer.text());
      assertTrue(!answer.text().contains(secret), () -> shape + " answered the key back");
      sent.add(shape);
    });
    // Redacted, so a failure does not copy the key into the test report.
    List<String> leaks = logs.lines().stream().filter(line -> line.contains(secret))
        .map(line -> line.replace(secret, "<key>")).toList();
    assertEquals(List.of(), leaks);
    // NoSecretsInLogsIT asserts these shapes were part of the suite whose log it reads.
    Files.createDirectories(MALFORMED_SENT.getParent());
    Files.write(MALFORMED_SENT, sent);
  }

  static final java.nio.file.Path MALFORMED_SENT = java.nio.file.Path.of("target/test-logs/malformed-authorization.txt");

  @Test
  void controlCharactersInPathsAndHeadersAreEscapedInLogLines() {
    String forged = "FORGED-" + System.nanoTime();
    // Percent-encoded control characters in the path and a query, raw ones in a header value.
    RawHttp.exchange(node.ports.http(), "GET /api/v1/topics/a%0a" + forged + "%1b%5b31m/messages?from=%0d%0a" + forged
        + " HTTP/1.1\r\nAuthorization: Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN, new byte[0]);
    RawHttp.exchange(node.ports.http(), "GET /api/v1/topics HTTP/1.1\r\nAuthorization: Bearer x\u0001\u001b[31m" + forged,
        new byte[0]);
    RawHttp.exchange(node.ports.http(), "GET /api/v1/topics HTTP/1.1\r\nContent-Type: \u001b[31m" + forged
        + "\r\nAuthorization: Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN, new byte[0]);
    List<String> raw = logs.lines().stream()
        .filter(line -> line.contains(forged))
        .filter(line -> line.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t'))
        .toList();
    assertEquals(List.of(), raw);
    // The refused header values were logged, escaped, not silently dropped.
    assertTrue(logs.lines().stream().anyMatch(line -> line.contains("'\\u0001'")), "the refusal was logged");
  }

  @Test
  void otherMalformedHeadersAreLoggedWithoutTheirValue() {
    String value = "VALUE-" + System.nanoTime();
    RawHttp.Answer answer = RawHttp.exchange(node.ports.http(), "GET /api/v1/topics HTTP/1.1\r\nIf-Modified-Since: not a date "
        + value + "\r\nAuthorization: Bearer " + io.troupe.runtime.TestNodes.ADMIN_TOKEN, new byte[0]);
    assertEquals(200, answer.status(), answer::text);
    List<String> lines = logs.lines();
    assertTrue(lines.stream().anyMatch(line -> line.contains("Illegal 'if-modified-since' header")), "the warning is kept");
    assertEquals(List.of(), lines.stream().filter(line -> line.contains(value)).toList());
  }

  @Test
  void logTextEscapesControlCharactersAndCutsLongValues() {
    assertEquals("a\\nFORGED\\r\\u001b[31m\\u0000\\\\n\\u2028", LogText.escape("a\nFORGED\r\u001b[31m\u0000\\n\u2028"));
    assertEquals("plain /api/v1/topics?x=1 é", LogText.escape("plain /api/v1/topics?x=1 é"));
    String cut = LogText.escape("x".repeat(10_000));
    assertTrue(cut.length() < LogText.MAX_CHARS + 20 && cut.endsWith("(cut)"), cut);
  }
}
