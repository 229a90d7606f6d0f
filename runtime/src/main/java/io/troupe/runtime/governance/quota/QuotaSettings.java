package io.troupe.runtime.governance.quota;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;

/**
 * Per-user quotas every user has unless an administrator set their own (troupe.quotas in the
 * runtime's reference.conf), and the per-subscriber-agent fan-out bound (troupe.sessions).
 *
 * @param defaults                        the quotas of a user without quotas of their own
 * @param maxConcurrentPerSubscriberAgent sessions topic messages start for one subscribing agent at once; later ones wait
 */
public record QuotaSettings(Quotas.Limits defaults, int maxConcurrentPerSubscriberAgent) {

  public static QuotaSettings from(Config config) {
    return new QuotaSettings(new Quotas.Limits(
        ConfigChecks.positiveInt(config, "troupe.quotas.agents"),
        ConfigChecks.positiveInt(config, "troupe.quotas.concurrent-sessions"),
        ConfigChecks.positiveInt(config, "troupe.quotas.sse-streams"),
        ConfigChecks.positiveInt(config, "troupe.quotas.topics")),
        ConfigChecks.positiveInt(config, "troupe.sessions.max-concurrent-per-subscriber-agent"));
  }
}
