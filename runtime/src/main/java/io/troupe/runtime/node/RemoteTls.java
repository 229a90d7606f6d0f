package io.troupe.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Mutual TLS between the nodes (Pekko Artery's {@code tls-tcp}), on when
 * {@code troupe.remote.tls.keystore} is set: every node then presents its key store's certificate
 * and admits only peers whose certificate its trust store vouches for. Off (plain {@code tcp}),
 * the default, suits a loopback cluster. The Pekko side of the mapping is cluster-config's
 * remote-tls.conf; this class switches the transport and checks the stores before anything starts.
 */
public final class RemoteTls {

  static final String KEYSTORE = "troupe.remote.tls.keystore";
  static final String KEYSTORE_PASSWORD = "troupe.remote.tls.keystore-password";
  static final String TRUSTSTORE = "troupe.remote.tls.truststore";
  static final String TRUSTSTORE_PASSWORD = "troupe.remote.tls.truststore-password";

  private RemoteTls() {}

  /**
   * Checks, when remote TLS is on, that both stores open with their passwords, the key store holds
   * a key and the trust store a certificate. Returns whether it is on.
   *
   * @throws com.typesafe.config.ConfigException naming the setting that is wrong
   */
  public static boolean check(Config config) {
    if (!KeyStores.isSet(config, KEYSTORE)) {
      if (KeyStores.isSet(config, TRUSTSTORE)) {
        throw ConfigChecks.bad(config, TRUSTSTORE, "is set, but " + KEYSTORE
            + " is not: remote TLS needs both (TROUPE_REMOTE_TLS_KEYSTORE)");
      }
      return false;
    }
    if (!KeyStores.isSet(config, TRUSTSTORE)) {
      throw ConfigChecks.bad(config, KEYSTORE, "is set, but " + TRUSTSTORE
          + " is not: mutual TLS needs the certificate authority that signs the nodes' certificates"
          + " (TROUPE_REMOTE_TLS_TRUSTSTORE)");
    }
    KeyStores.requireKey(config, KEYSTORE, KeyStores.open(config, KEYSTORE, KEYSTORE_PASSWORD,
        "TROUPE_REMOTE_TLS_KEYSTORE, TROUPE_REMOTE_TLS_KEYSTORE_PASSWORD"), "Cluster TLS");
    KeyStores.requireTrustedCertificate(config, TRUSTSTORE, KeyStores.open(config, TRUSTSTORE, TRUSTSTORE_PASSWORD,
        "TROUPE_REMOTE_TLS_TRUSTSTORE, TROUPE_REMOTE_TLS_TRUSTSTORE_PASSWORD"));
    return true;
  }

  /**
   * {@code config} as the node's actor system must see it: Artery's transport {@code tls-tcp}
   * when remote TLS is on, else unchanged (plain {@code tcp}). Does not open the stores: {@link #check} does.
   */
  public static Config withTransport(Config config) {
    return enabled(config)
        ? ConfigFactory.parseString("pekko.remote.artery.transport = tls-tcp").withFallback(config)
        : config;
  }

  /** Whether {@code config} turns remote TLS on. */
  public static boolean enabled(Config config) {
    return KeyStores.isSet(config, KEYSTORE);
  }
}
