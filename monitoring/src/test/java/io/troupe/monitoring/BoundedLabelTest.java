package io.troupe.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedLabelTest {

  @Test
  void junkExhaustsTheBudgetButKnownValuesKeepTheirLabel() {
    BoundedLabel label = new BoundedLabel(3).admitKnown(List.of("gpt-4o", "claude-3-5-sonnet"));
    for (int i = 0; i < 3; i++) {
      assertEquals("junk-" + i, label.of("junk-" + i));
    }
    assertEquals(BoundedLabel.OTHER, label.of("junk-3"), "the budget is spent");
    assertEquals("gpt-4o", label.of("gpt-4o"), "a configured value is never 'other'");
    assertEquals("claude-3-5-sonnet", label.of("claude-3-5-sonnet"));
    assertEquals("junk-1", label.of("junk-1"), "admitted values stay");
  }

  @Test
  void knownValuesDoNotUseTheBudget() {
    BoundedLabel label = new BoundedLabel(2).admitKnown(List.of("a", "b", "c", " ", ""));
    assertEquals("a", label.of("a"));
    assertEquals("b", label.of("b"));
    assertEquals("x", label.of("x"));
    assertEquals("y", label.of("y"));
    assertEquals(BoundedLabel.OTHER, label.of("z"));
    assertEquals(BoundedLabel.OTHER, label.of(" "), "blank configuration entries are not known values");
  }
}
