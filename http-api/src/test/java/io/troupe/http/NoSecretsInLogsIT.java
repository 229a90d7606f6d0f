package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs after the unit and cluster tests (failsafe, in {@code verify}): no line any of them logged
 * (target/test-logs/suite.log) holds a key they were issued or the test nodes' admin token, also
 * where a key was sent in a malformed Authorization header.
 */
class NoSecretsInLogsIT {

  @Test
  void noLoggedLineHoldsAKeyOrTheAdminToken() throws IOException {
    Path log = Path.of("target/test-logs/suite.log");
    assertTrue(Files.exists(log) && Files.size(log) > 0, "the suite's log is missing: run after the unit tests");
    assertTrue(Files.exists(SecurityCalls.ISSUED_KEYS_FILE), "no keys were recorded: the check would prove nothing");
    List<String> secrets = new ArrayList<>();
    secrets.add(TestNodes.ADMIN_TOKEN);
    for (String key : Files.readAllLines(SecurityCalls.ISSUED_KEYS_FILE)) {
      if (!key.isBlank()) {
        secrets.add(key.substring(key.lastIndexOf('.') + 1)); // the secret part: ids may be logged
      }
    }
    assertTrue(secrets.size() > 1, "no issued keys recorded");
    // Malformed Authorization headers carrying a real key were sent (KeysNotLoggedTest), so the
    // check covers what Pekko's header parser logs about them.
    assertTrue(Files.exists(KeysNotLoggedTest.MALFORMED_SENT)
        && Files.readAllLines(KeysNotLoggedTest.MALFORMED_SENT).size() >= 5, "the malformed Authorization shapes were not sent");
    List<String> leaks = new ArrayList<>();
    long lines;
    try (Stream<String> all = Files.lines(log)) {
      lines = all.peek(line -> secrets.stream().filter(line::contains).findAny()
          .ifPresent(s -> leaks.add(line.length() <= 300 ? line : line.substring(0, 300)))).count();
    }
    assertTrue(lines > 100, "suspiciously few log lines: " + lines);
    assertEquals(List.of(), leaks);
    assertFalse(secrets.isEmpty());
  }
}
