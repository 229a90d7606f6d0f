package io.troupe.runtime.agent;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import java.time.Duration;

/**
 * How sessions that wait for people behave (troupe.sessions in the runtime's reference.conf).
 *
 * @param idleTimeout           a conversation waiting for input this long ends (COMPLETED, closed "idle")
 * @param maxQueuedMessages     messages a conversation holds while a turn runs; one more is refused (409)
 * @param passivateWaitingAfter a session waiting for input or an approval leaves memory after this long
 */
public record ConversationSettings(Duration idleTimeout, int maxQueuedMessages, Duration passivateWaitingAfter) {

  public static final ConversationSettings DEFAULT =
      new ConversationSettings(Duration.ofHours(24), 8, Duration.ofSeconds(30));

  public static ConversationSettings from(Config config) {
    return new ConversationSettings(
        ConfigChecks.positiveDuration(config, "troupe.sessions.idle-timeout"),
        ConfigChecks.positiveInt(config, "troupe.sessions.max-queued-messages"),
        ConfigChecks.positiveDuration(config, "troupe.sessions.passivate-waiting-after"));
  }
}
