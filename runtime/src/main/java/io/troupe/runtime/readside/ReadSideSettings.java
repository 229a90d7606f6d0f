package io.troupe.runtime.readside;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import java.time.Duration;

/**
 * The read side's settings (troupe.read-side in the runtime's reference.conf).
 *
 * @param slices      N: instances of each projection, and the slices tagged events are spread over
 * @param poolSize    connections of the read side's own pool, per node
 * @param groupSize   events applied per transaction at most
 * @param groupWindow ...or what arrived within this long
 */
public record ReadSideSettings(int slices, int poolSize, int groupSize, Duration groupWindow) {

  public static ReadSideSettings from(Config config) {
    return new ReadSideSettings(Slices.count(config),
        ConfigChecks.positiveInt(config, "troupe.read-side.pool-size"),
        ConfigChecks.positiveInt(config, "troupe.read-side.group-size"),
        ConfigChecks.positiveDuration(config, "troupe.read-side.group-window"));
  }
}
