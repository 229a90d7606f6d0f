package io.troupe.runtime.broker;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import java.time.Duration;

/**
 * The message broker's settings (troupe.broker in the runtime's reference.conf).
 *
 * @param defaultReadLimit page size of GET .../messages when none is asked for
 * @param maxReadLimit     the largest page allowed
 * @param streamKeepAlive  SSE comment lines on idle streams, this often
 * @param streamLiveBuffer live messages buffered per SSE stream
 * @param maxStreams       SSE streams open at once on a node
 * @param snapshotEvery    a topic snapshots its offset every this many messages
 * @param maxStreamsPerKey SSE streams one API key may have open at once on a node
 * @param adminStreams     of maxStreams, how many only administrators may open
 * @param maxPendingPublishes publishes to one topic waiting for their answer at once on a node; more are refused
 * @param maxPublishWait   while a topic's last answered publish waited longer, more are refused (a few always pass)
 */
public record BrokerSettings(int defaultReadLimit, int maxReadLimit, Duration streamKeepAlive, int streamLiveBuffer,
                             int maxStreams, int snapshotEvery, int maxStreamsPerKey, int adminStreams,
                             int maxPendingPublishes, Duration maxPublishWait) {

  public static BrokerSettings from(Config config) {
    return new BrokerSettings(
        ConfigChecks.positiveInt(config, "troupe.broker.default-read-limit"),
        ConfigChecks.positiveInt(config, "troupe.broker.max-read-limit"),
        ConfigChecks.positiveDuration(config, "troupe.broker.stream-keep-alive"),
        ConfigChecks.positiveInt(config, "troupe.broker.stream-live-buffer"),
        ConfigChecks.positiveInt(config, "troupe.broker.max-streams"),
        ConfigChecks.positiveInt(config, "troupe.broker.snapshot-every"),
        ConfigChecks.positiveInt(config, "troupe.broker.max-streams-per-key"),
        adminStreams(config),
        ConfigChecks.positiveInt(config, "troupe.broker.max-pending-publishes"),
        ConfigChecks.positiveDuration(config, "troupe.broker.max-publish-wait"));
  }

  /** At least 0, and fewer than max-streams: others must be able to open some. */
  private static int adminStreams(Config config) {
    int value = ConfigChecks.atLeast(config, "troupe.broker.admin-reserved-streams", 0);
    if (value >= config.getInt("troupe.broker.max-streams")) {
      throw ConfigChecks.bad(config, "troupe.broker.admin-reserved-streams", "must be below troupe.broker.max-streams ("
          + config.getInt("troupe.broker.max-streams") + "), was " + value);
    }
    return value;
  }
}
