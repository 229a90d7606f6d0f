package io.troupe.http;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import io.troupe.runtime.node.KeyStores;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * HTTPS on the HTTP edge: on when {@code troupe.http.tls.keystore} names a PKCS12 keystore. The
 * store is opened at start, so a missing file or a wrong password stops the node with one line
 * naming the setting. The password is kept only long enough to open the store and is never logged.
 *
 * @param http2 whether HTTPS offers HTTP/2 (negotiated by ALPN; HTTP/1.1 clients are served too)
 */
public record EdgeTls(SSLContext sslContext, boolean http2) {

  static final String KEYSTORE = "troupe.http.tls.keystore";
  static final String KEYSTORE_PASSWORD = "troupe.http.tls.keystore-password";

  /** The edge's TLS from {@code config}; empty (plain HTTP) when no keystore is set. */
  public static Optional<EdgeTls> from(Config config) {
    boolean http2 = config.getBoolean("troupe.http.tls.http2");
    if (!KeyStores.isSet(config, KEYSTORE)) {
      if (!config.getString(KEYSTORE_PASSWORD).isEmpty()) {
        throw ConfigChecks.bad(config, KEYSTORE_PASSWORD, "is set, but " + KEYSTORE
            + " is not: set TROUPE_HTTP_TLS_KEYSTORE to serve HTTPS, or unset the password");
      }
      return Optional.empty();
    }
    KeyStore store = KeyStores.open(config, KEYSTORE, KEYSTORE_PASSWORD,
        "TROUPE_HTTP_TLS_KEYSTORE, TROUPE_HTTP_TLS_KEYSTORE_PASSWORD");
    KeyStores.requireKey(config, KEYSTORE, store, "HTTPS");
    try {
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      // keytool's PKCS12 stores protect the key with the store's password.
      keys.init(store, config.getString(KEYSTORE_PASSWORD).toCharArray());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return Optional.of(new EdgeTls(context, http2));
    } catch (GeneralSecurityException e) {
      throw ConfigChecks.bad(config, KEYSTORE, "its key cannot be used for TLS: " + e.getMessage()
          + " (the key's password must be the store's)");
    }
  }

  @Override
  public String toString() {
    return "EdgeTls[https, http2=" + http2 + "]";
  }
}
