package io.troupe.runtime.node;

import com.typesafe.config.Config;
import io.troupe.runtime.service.RetryingAsk;
import java.time.Duration;

/**
 * How a service waits for an entity (troupe.http.ask-timeout, ask-attempts): every door goes
 * through the services, so every door shares this policy.
 *
 * @param timeout  how long one attempt waits for the entity's answer
 * @param attempts how often a command safe to repeat is asked before the caller gets 503
 */
public record AskSettings(Duration timeout, int attempts) {

  public static AskSettings from(Config config) {
    return new AskSettings(ConfigChecks.positiveDuration(config, "troupe.http.ask-timeout"),
        ConfigChecks.positiveInt(config, "troupe.http.ask-attempts"));
  }

  /** An asker with this policy. */
  public RetryingAsk retrying() {
    return new RetryingAsk(timeout, attempts);
  }
}
