package io.troupe.runtime.readside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SlicesTest {

  /**
   * Stored events carry these slices: a change of the hash would put an entity's new events in
   * another slice than its old ones, so these values are pinned.
   */
  @Test
  void anEntitysSliceIsFixedByItsPersistenceId() {
    assertEquals(2, Slices.of("Session|notifier~1795317494393-98e2fb22", 4));
    assertEquals(4, Slices.of("Session|notifier~1795317494393-98e2fb22", 7));
    assertEquals(0, Slices.of("DeconflictionCoordinator|default", 4)); // a negative hash
    assertEquals(5, Slices.of("DeconflictionCoordinator|default", 7));
    assertEquals("session-2", Slices.tag("session", "Session|notifier~1795317494393-98e2fb22", 4));
    assertEquals(List.of("session-0", "session-1", "session-2"), Slices.tags("session", 3));
  }

  @Test
  void everySliceIsInRangeAndUsed() {
    int[] seen = new int[4];
    for (int i = 0; i < 4000; i++) {
      int slice = Slices.of("Session|" + UUID.randomUUID(), 4);
      assertTrue(slice >= 0 && slice < 4, "slice " + slice);
      seen[slice]++;
    }
    for (int n : seen) {
      assertTrue(n > 700, () -> java.util.Arrays.toString(seen));
    }
  }

  @Test
  void theCountIsConfiguredAndBounded() {
    assertEquals(4, Slices.count(ConfigFactory.load()), "the default");
    assertThrows(IllegalArgumentException.class, () -> Slices.count(ConfigFactory.parseMap(Map.of(Slices.CONFIG_PATH, 0))));
  }
}
