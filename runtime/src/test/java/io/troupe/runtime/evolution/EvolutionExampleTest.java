package io.troupe.runtime.evolution;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The worked example of EVOLUTION.md: an event's stored bytes, read back by today's class. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvolutionExampleTest {

  private static EventFixtures fixtures;

  @BeforeAll
  static void open() {
    fixtures = EventFixtures.open(EvolutionExampleTest.class, "evolution-example");
  }

  @AfterAll
  static void close() {
    fixtures.close();
  }

  static Map<String, Map<String, Object>> expected() {
    return Map.of("v1", EventFixtures.samples(
        new ExampleV1Event("orders", 42, "{\"id\":7}", Instant.parse("2026-11-22T10:15:30.123Z"))));
  }

  @Test
  @Order(0)
  @EnabledIfSystemProperty(named = EventFixtures.WRITE_PROPERTY, matches = "true")
  void writeMissingFixtures() throws Exception {
    String version = EventFixtures.writeVersion();
    List<String> written = fixtures.writeMissing(version, expected().get(version));
    System.out.println("example fixtures written to " + fixtures.root().resolve(version) + ": " + written);
  }

  @Test
  void theStoredV1EventReadsAsExpected() throws Exception {
    fixtures.assertAllReadAsExpected(expected());
  }
}
