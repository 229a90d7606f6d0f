package io.troupe.runtime.agent;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import java.time.Duration;

/**
 * Sessions' settings (troupe.sessions in the runtime's reference.conf).
 *
 * @param llmTimeout       a model call (with its retries) that takes longer fails the session
 * @param maxDuration      a session still running after this long ends with status TIMEOUT
 * @param cacheEntries     model replies kept per node for exact repeats of deterministic calls
 * @param defaultListLimit page size of session and agent lists when none is asked for
 * @param maxListLimit     the largest page allowed
 * @param limits           what one session may hold: tool calls per reply, bytes per tool result, state
 * @param maxCallDepth     how many {@code call_agent} calls deep below its root a session may run
 * @param resumes          how running sessions come back after a restart: gradually, and parked after repeated crashes
 * @param conversations    how sessions that wait for a message or an approval behave
 * @param snapshotEvery    a session snapshots its state every this many events (0: never), bounding its recovery
 */
public record SessionSettings(Duration llmTimeout, Duration maxDuration, int cacheEntries, int defaultListLimit,
                              int maxListLimit, SessionLimits limits, int maxCallDepth, ResumeSettings resumes,
                              ConversationSettings conversations, int snapshotEvery) {

  public static SessionSettings from(Config config) {
    return new SessionSettings(
        ConfigChecks.positiveDuration(config, "troupe.sessions.llm-timeout"),
        ConfigChecks.positiveDuration(config, "troupe.sessions.max-duration"),
        ConfigChecks.positiveInt(config, "troupe.sessions.cache-entries"),
        ConfigChecks.positiveInt(config, "troupe.sessions.default-list-limit"),
        ConfigChecks.positiveInt(config, "troupe.sessions.max-list-limit"),
        new SessionLimits(
            ConfigChecks.positiveInt(config, "troupe.sessions.max-tool-calls-per-reply"),
            toolResultBytes(config, "troupe.sessions.max-tool-result-bytes"),
            ConfigChecks.positiveBytes(config, "troupe.sessions.max-state-bytes")),
        ConfigChecks.positiveInt(config, "troupe.sessions.max-call-depth"),
        ResumeSettings.from(config),
        ConversationSettings.from(config),
        ConfigChecks.atLeast(config, "troupe.sessions.snapshot-every", 0));
  }

  /** Room for the truncation marker (about 150 bytes) and some of the result. */
  private static int toolResultBytes(Config config, String path) {
    int value = ConfigChecks.positiveBytes(config, path);
    if (value < 1024) {
      throw ConfigChecks.bad(config, path, "must be at least 1KiB, was " + value + " bytes");
    }
    return value;
  }
}
