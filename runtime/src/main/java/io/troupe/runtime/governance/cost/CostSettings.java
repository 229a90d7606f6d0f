package io.troupe.runtime.governance.cost;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import java.time.Duration;

/**
 * Cost settings (troupe.costs in the runtime's reference.conf).
 *
 * @param pricing             dollars per 1M tokens by model name
 * @param defaultOutputTokens output tokens reserved (and asked for at most) per model call
 * @param charsPerToken       characters sent per estimated input token
 * @param reservationTimeout  a reservation not settled within this long counts as spent
 * @param budgetAskTimeout    how long a session waits for a budget, per attempt
 * @param snapshotEvery       a budget snapshots its state every this many events
 * @param lookbackDays        days the forecast and recommendations look back by default
 */
public record CostSettings(PricingTable pricing, long defaultOutputTokens, int charsPerToken,
                           Duration reservationTimeout, Duration budgetAskTimeout, int snapshotEvery,
                           int lookbackDays) {

  public static CostSettings from(Config config) {
    return new CostSettings(
        PricingTable.fromConfig(config.getConfig("troupe.costs.pricing")),
        ConfigChecks.positiveInt(config, "troupe.costs.default-output-tokens"),
        ConfigChecks.positiveInt(config, "troupe.costs.chars-per-token"),
        ConfigChecks.positiveDuration(config, "troupe.costs.reservation-timeout"),
        ConfigChecks.positiveDuration(config, "troupe.costs.budget-ask-timeout"),
        ConfigChecks.positiveInt(config, "troupe.costs.snapshot-every"),
        ConfigChecks.positiveInt(config, "troupe.costs.lookback-days"));
  }
}
