package io.troupe.http;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The HTTP edge's settings, read once per ActorSystem (defaults and comments in the http-api
 * module's reference.conf): {@code HttpSettings.get(system)}. The services' ask policy
 * (troupe.http.ask-timeout, ask-attempts) is the runtime's {@link io.troupe.runtime.node.AskSettings}.
 *
 * @param maxBodyBytes the largest request body accepted; larger ones get 413
 * @param maxInFlight  API requests a node answers at once; one more gets 503 at once ({@link AdmissionControl})
 * @param bodyReadTimeout how long a JSON body may take to arrive in full; a slower one gets 408
 * @param trustedProxies  whose X-Forwarded-For names the client (audit log, invalid-key throttle)
 * @param tls             HTTPS, when a keystore is configured; empty: plain HTTP
 */
public record HttpSettings(long maxBodyBytes, int maxInFlight, Duration bodyReadTimeout, TrustedProxies trustedProxies,
                           Optional<EdgeTls> tls)
    implements Extension {

  public static HttpSettings get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public static HttpSettings from(Config config) {
    return new HttpSettings(ConfigChecks.positiveBytes(config, "troupe.http.max-body-bytes"),
        ConfigChecks.positiveInt(config, "troupe.http.max-in-flight"),
        ConfigChecks.positiveDuration(config, "troupe.http.body-read-timeout"),
        trustedProxies(config),
        EdgeTls.from(config));
  }

  private static TrustedProxies trustedProxies(Config config) {
    String path = "troupe.http.trusted-proxies";
    try {
      return TrustedProxies.parse(config.getString(path));
    } catch (IllegalArgumentException e) {
      throw ConfigChecks.bad(config, path, e.getMessage());
    }
  }

  /** Extension id: one {@link HttpSettings} per ActorSystem. */
  public static final class Id extends ExtensionId<HttpSettings> {
    private static final Id INSTANCE = new Id();

    @Override
    public HttpSettings createExtension(ActorSystem<?> system) {
      return from(system.settings().config());
    }
  }
}
