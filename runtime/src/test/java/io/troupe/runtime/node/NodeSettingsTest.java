package io.troupe.runtime.node;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings from configuration, seed-node parsing, and the shared-storage guard. */
class NodeSettingsTest {

  private static NodeSettings settings(String dbUrl, List<String> seeds) {
    return new NodeSettings("127.0.0.1", 8080, 25520, 8558, seeds, Path.of("data"), dbUrl, "u", "secret", 0, 4,
        Duration.ofSeconds(5));
  }

  @Test
  void defaultsComeFromTroupeConf() {
    NodeSettings s = NodeSettings.from(ConfigFactory.load(ConfigFactory.parseMap(Map.of(
        "troupe.seed-nodes", "127.0.0.1:25520, 10.0.0.2:25520"))
        .withFallback(ConfigFactory.defaultApplication())));
    assertEquals(List.of("127.0.0.1:25520", "10.0.0.2:25520"), s.seedNodes());
    assertTrue(s.toString().contains("seeds"));
    assertFalse(settings("jdbc:postgresql://h/db", List.of()).toString().contains("secret"), "no password in logs");
  }

  @Test
  void seedNodesAcceptHostPortOrFullAddresses() {
    assertEquals("pekko://troupe@10.0.0.5:25520", SeedNodes.parseOne("10.0.0.5:25520", "troupe").toString());
    assertEquals("pekko://troupe@h:1", SeedNodes.parseOne("pekko://troupe@h:1", "troupe").toString());
    assertThrows(IllegalArgumentException.class, () -> SeedNodes.parseOne("not a seed", "troupe"));
  }

  @Test
  void anEmbeddedDatabaseIsRefusedWhenJoiningOtherNodes() {
    assertDoesNotThrow(() -> TroupeNode.refuseSplitStorage(settings("", List.of())));
    assertDoesNotThrow(() -> TroupeNode.refuseSplitStorage(settings("", List.of("127.0.0.1:25520"))));
    assertDoesNotThrow(() -> TroupeNode.refuseSplitStorage(settings("jdbc:postgresql://db/t", List.of("127.0.0.1:25521"))));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TroupeNode.refuseSplitStorage(settings("", List.of("127.0.0.1:25521"))));
    assertTrue(e.getMessage().contains("TROUPE_DB_URL"), e.getMessage());
  }
}
