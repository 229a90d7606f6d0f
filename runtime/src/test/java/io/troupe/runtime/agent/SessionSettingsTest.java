package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import org.junit.jupiter.api.Test;

/** The session bounds' defaults come from the runtime's reference.conf; a bad value names its key. */
class SessionSettingsTest {

  private static final Config DEFAULTS = ConfigFactory.defaultReference();

  @Test
  void theShippedDefaultsAreTheDocumentedOnes() {
    SessionLimits limits = SessionSettings.from(DEFAULTS).limits();
    assertEquals(new SessionLimits(16, 64 * 1024, 4L * 1024 * 1024), limits);
    assertEquals(SessionLimits.DEFAULT, limits, "sessions built without a configuration get the same");
    assertEquals(4, SessionSettings.from(DEFAULTS).maxCallDepth());
    assertEquals(new ResumeSettings(3, 8, java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(10)), SessionSettings.from(DEFAULTS).resumes());
    assertEquals(ResumeSettings.DEFAULT, SessionSettings.from(DEFAULTS).resumes());
    assertEquals(1000, SessionSettings.from(DEFAULTS).snapshotEvery());
    assertEquals(0, SessionSettings.from(DEFAULTS.withValue("troupe.sessions.snapshot-every",
        ConfigValueFactory.fromAnyRef(0))).snapshotEvery(), "0 turns snapshots off");
  }

  @Test
  void aBadBoundStopsTheStartNamingItsKey() {
    for (String[] bad : new String[][] {{"max-tool-calls-per-reply", "0"}, {"max-tool-result-bytes", "100"},
        {"max-state-bytes", "0"}, {"max-state-bytes", "lots"}, {"max-call-depth", "0"}, {"max-call-depth", "deep"},
        {"max-resume-attempts", "0"}, {"resume-concurrency", "0"}, {"resume-turn-timeout", "0s"},
        {"snapshot-every", "-1"}}) {
      String key = "troupe.sessions." + bad[0];
      Config config = DEFAULTS.withValue(key, ConfigValueFactory.fromAnyRef(bad[1]));
      ConfigException e = assertThrows(ConfigException.class, () -> SessionSettings.from(config), key);
      assertTrue(e.getMessage().contains(key), e::getMessage);
    }
  }
}
