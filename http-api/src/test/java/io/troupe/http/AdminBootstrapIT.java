package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The admin key flow of a real node process: with no TROUPE_ADMIN_TOKEN the first start makes a
 * key, logs it once and writes it to data/admin-token readable only by its owner; a restart
 * prints nothing new and the key still works; setting TROUPE_ADMIN_TOKEN later replaces it; a
 * token too short to be a secret stops the node at start.
 */
class AdminBootstrapIT {

  private static final String NEW_TOKEN = "operator-chosen-token-42";

  @Test
  void theGeneratedAdminKeyIsShownOnceKeptInAPrivateFileAndCanBeReplaced() throws Exception {
    Path work = Files.createTempDirectory("troupe-admin-it");
    Path dataDir = work.resolve("data");
    Path log = work.resolve("node.log");
    TestNodes.Ports ports = TestNodes.Ports.free();
    Map<String, String> generated = Map.of("TROUPE_ADMIN_TOKEN", "");
    Path tokenFile = dataDir.resolve("admin-token");
    String key;

    try (NodeProcess node = NodeProcess.start(dataDir, ports, generated, log)) {
      node.awaitReady(Duration.ofSeconds(120));
      key = Eventually.await(Duration.ofSeconds(30), "data/admin-token", () -> {
        try {
          return Files.exists(tokenFile) ? Optional.of(Files.readString(tokenFile).strip()).filter(k -> !k.isEmpty())
              : Optional.empty();
        } catch (java.io.IOException e) {
          return Optional.empty();
        }
      });
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
      assertTrue(key.startsWith("trp.admin.bootstrap."), "the key has the user-key shape");
      assertEquals(1, occurrences(Files.readString(log), key), "the key is logged exactly once");
      assertEquals(200, node.http.as(key).get("/api/v1/security/users/admin").status());
      assertEquals(401, node.http.as(TestNodes.ADMIN_TOKEN).get("/api/v1/topics").status());
      assertEquals(0, node.terminate(Duration.ofSeconds(60)));
    }

    try (NodeProcess again = NodeProcess.start(dataDir, ports, generated, log)) {
      again.awaitReady(Duration.ofSeconds(120));
      assertEquals(200, again.http.as(key).get("/api/v1/topics").status(), "the key survives a restart");
      assertEquals(1, occurrences(Files.readString(log), key), "a restart does not print the key again");
      assertEquals(key, Files.readString(tokenFile).strip(), "nor write another");
      assertEquals(0, again.terminate(Duration.ofSeconds(60)));
    }

    try (NodeProcess rotated = NodeProcess.start(dataDir, ports, Map.of("TROUPE_ADMIN_TOKEN", NEW_TOKEN), log)) {
      rotated.awaitReady(Duration.ofSeconds(120));
      Eventually.await(Duration.ofSeconds(30), "the operator's token in force", () ->
          rotated.http.as(NEW_TOKEN).get("/api/v1/topics").status() == 200 ? Optional.of(true) : Optional.empty());
      assertEquals(401, rotated.http.as(key).get("/api/v1/topics").status(), "the generated key was replaced");
      assertFalse(Files.readString(log).contains(NEW_TOKEN), "the operator's token is never logged");
      assertEquals(0, rotated.terminate(Duration.ofSeconds(60)));
    }
  }

  @Test
  void aTokenTooShortToBeASecretStopsTheNode() throws Exception {
    Path work = Files.createTempDirectory("troupe-admin-it");
    Path log = work.resolve("node.log");
    try (NodeProcess node = NodeProcess.start(work.resolve("data"), TestNodes.Ports.free(),
        Map.of("TROUPE_ADMIN_TOKEN", "short"), log)) {
      assertTrue(node.process.waitFor(120, TimeUnit.SECONDS), "the node should have refused to start");
      assertNotEquals(0, node.process.exitValue());
      String text = Files.readString(log);
      assertTrue(text.contains("TROUPE_ADMIN_TOKEN must be at least 16 characters"), text);
    }
  }

  private static int occurrences(String text, String needle) {
    int count = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      count++;
    }
    return count;
  }
}
