package io.troupe.runtime.agent;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import java.time.Duration;

/**
 * How running sessions come back after their entity or node stopped (troupe.sessions.*).
 *
 * @param maxResumeAttempts a session resumed this many times in a row without journaling a step is
 *                          parked (FAILED_RECOVERY) the next time instead of being resumed again
 * @param concurrency       resumed sessions per node taking their first step at once; the others wait
 * @param turnTimeout       the longest a resumed session's first step holds its place among those
 * @param reviveInterval    how often running sessions whose entity is gone are looked for and woken
 *                          ({@link SessionReviver}); also the least age of a session a periodic sweep wakes
 */
public record ResumeSettings(int maxResumeAttempts, int concurrency, Duration turnTimeout, Duration reviveInterval) {

  /** The defaults of the runtime's reference.conf. */
  public static final ResumeSettings DEFAULT = new ResumeSettings(3, 8, Duration.ofSeconds(5), Duration.ofSeconds(10));

  static ResumeSettings from(Config config) {
    return new ResumeSettings(
        ConfigChecks.positiveInt(config, "troupe.sessions.max-resume-attempts"),
        ConfigChecks.positiveInt(config, "troupe.sessions.resume-concurrency"),
        ConfigChecks.positiveDuration(config, "troupe.sessions.resume-turn-timeout"),
        ConfigChecks.positiveDuration(config, "troupe.sessions.revive-interval"));
  }
}
