package io.troupe.runtime.evolution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.NotSerializableException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The worked example of EVOLUTION.md: {@code ExampleV1Event} was released, journaled (its bytes are
 * {@code evolution-example/v1/ExampleV1Event.cbor}), then renamed to {@link ExampleRenamedEvent}
 * and given a {@code priority}. The old bytes must read as the new class with the default.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvolutionExampleTest {

  private static final Instant AT = Instant.parse("2026-11-22T10:15:30.123Z");

  private static EventFixtures fixtures;

  @BeforeAll
  static void open() {
    fixtures = EventFixtures.open(EvolutionExampleTest.class, "evolution-example",
        ConfigFactory.parseResources("evolution-example.conf"));
  }

  @AfterAll
  static void close() {
    fixtures.close();
  }

  /** What the stored bytes read as today. The v1 fixture was written from an ExampleV1Event (see EVOLUTION.md). */
  static Map<String, Map<String, Object>> expected() {
    return Map.of("v1", Map.of("ExampleV1Event",
        new ExampleRenamedEvent("orders", 42, "{\"id\":7}", AT, ExampleRenamedEvent.DEFAULT_PRIORITY)));
  }

  @Test
  @Order(0)
  @org.junit.jupiter.api.Tag(EventFixtures.WRITER_TAG)
  void writeMissingFixtures() throws Exception {
    String version = EventFixtures.writeVersion();
    List<String> written = fixtures.writeMissing(version, expected().get(version));
    System.out.println("example fixtures written to " + fixtures.root().resolve(version) + ": " + written);
  }

  @Test
  void theV1EventReadsAsTheRenamedClassWithTheDefault() throws Exception {
    EventFixtures.Fixture v1 = fixtures.load("v1").get(0);
    assertEquals("io.troupe.runtime.evolution.ExampleV1Event", v1.manifest(), "the journal holds the old name");
    Object event = fixtures.read(v1);
    assertEquals(ExampleRenamedEvent.class, event.getClass());
    assertEquals(ExampleRenamedEvent.DEFAULT_PRIORITY, ((ExampleRenamedEvent) event).priority());
    fixtures.assertAllReadAsExpected(expected());
  }

  @Test
  void newEventsAreStoredWithTheMigrationsVersionAndReadBack() {
    ExampleRenamedEvent event = new ExampleRenamedEvent("orders", 43, "{}", AT, 1);
    EventFixtures.Fixture stored = fixtures.store("now", "ExampleRenamedEvent", event);
    assertEquals("io.troupe.runtime.evolution.ExampleRenamedEvent#2", stored.manifest());
    assertEquals(event, fixtures.read(stored), "a version-2 event keeps its own priority");
  }

  @Test
  void withoutTheMigrationTheOldBytesAreUnreadable() throws Exception {
    EventFixtures.Fixture v1 = fixtures.load("v1").get(0);
    try (EventFixtures plain = EventFixtures.open(EvolutionExampleTest.class, "evolution-example")) {
      Exception e = assertThrows(Exception.class, () -> plain.read(v1));
      assertTrue(e instanceof NotSerializableException && e.getMessage().contains("ExampleV1Event"),
          "expected the old class to be missing, got " + e);
    }
  }
}
