package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Cutting a tool result to its byte bound: exact in UTF-8 bytes, never inside a character. */
class SessionLimitsTest {

  private final SessionLimits limits = new SessionLimits(16, 1024, 1 << 20);

  @Test
  void aResultWithinTheBoundIsKeptAsItIs() {
    String fits = "é".repeat(512); // 1024 bytes
    assertSame(fits, limits.capToolResult(fits));
    assertNull(limits.capToolResult(null));
  }

  @Test
  void aLongerResultIsCutToTheBoundWithAMarkerNamingTheBytesCut() {
    String text = "a".repeat(5000);
    String cut = limits.capToolResult(text);
    assertTrue(cut.getBytes(StandardCharsets.UTF_8).length <= 1024, cut);
    int kept = cut.indexOf('…');
    assertEquals("a".repeat(kept), cut.substring(0, kept));
    assertTrue(cut.contains("[truncated: " + (5000 - kept) + " of 5000 bytes cut"), cut);
  }

  @Test
  void multiByteCharactersAndSurrogatePairsAreNeverSplit() {
    String emoji = "\uD83D\uDE00"; // 4 bytes in UTF-8, two chars in Java
    for (String unit : new String[] {emoji, "é", "中"}) {
      for (int pad = 0; pad < 4; pad++) {
        String text = "x".repeat(pad) + unit.repeat(2000);
        String cut = limits.capToolResult(text);
        byte[] utf8 = cut.getBytes(StandardCharsets.UTF_8);
        assertTrue(utf8.length <= 1024, unit + " pad " + pad + ": " + utf8.length);
        assertEquals(cut, new String(utf8, StandardCharsets.UTF_8), "no broken character");
        int kept = cut.indexOf('…');
        assertTrue(!Character.isHighSurrogate(cut.charAt(kept - 1)), "no lone high surrogate");
        int keptBytes = cut.substring(0, kept).getBytes(StandardCharsets.UTF_8).length;
        int total = text.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(cut.contains((total - keptBytes) + " of " + total + " bytes cut"), cut);
      }
    }
  }
}
