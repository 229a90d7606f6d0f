package io.troupe.runtime.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the PKCS12 key and trust stores that TLS settings name, at start, so that a missing file,
 * a wrong password or a store without a key stops the node with one line naming the setting
 * (never the password) instead of a stack trace at the first handshake.
 */
public final class KeyStores {

  private static final Logger log = LoggerFactory.getLogger(KeyStores.class);
  /** A certificate this close to its end is announced at every start. */
  private static final Duration EXPIRY_WARNING = Duration.ofDays(30);

  private KeyStores() {}

  /**
   * The PKCS12 store at the path {@code pathKey} holds, opened with {@code passwordKey}'s value.
   * {@code envHint} names the variables that set them, for the message.
   */
  public static KeyStore open(Config config, String pathKey, String passwordKey, String envHint) {
    String file = config.getString(pathKey).trim();
    String password = config.getString(passwordKey);
    if (password.isEmpty()) {
      throw ConfigChecks.bad(config, passwordKey, "is empty, but " + pathKey + " is set (" + envHint + ")");
    }
    Path path = Path.of(file);
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw ConfigChecks.bad(config, pathKey, "no readable file at " + path.toAbsolutePath() + " (" + envHint + ")");
    }
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password.toCharArray());
      return store;
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw ConfigChecks.bad(config, passwordKey, "does not open " + path.toAbsolutePath() + " (wrong password; "
            + envHint + ")");
      }
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw ConfigChecks.bad(config, pathKey,
          path.toAbsolutePath() + " is not a PKCS12 store (" + why + "; " + envHint + ")");
    } catch (GeneralSecurityException e) {
      throw ConfigChecks.bad(config, pathKey, "cannot read " + path.toAbsolutePath() + ": " + e.getMessage());
    }
  }

  /**
   * Checks that {@code store} holds exactly what a TLS key store needs (a private key with its
   * certificate) and logs that certificate's subject and end date (warning when it is near).
   */
  public static void requireKey(Config config, String pathKey, KeyStore store, String what) {
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (store.isKeyEntry(alias) && store.getCertificate(alias) instanceof X509Certificate cert) {
          announce(what, cert);
          return;
        }
      }
    } catch (GeneralSecurityException e) {
      throw ConfigChecks.bad(config, pathKey, "cannot list its entries: " + e.getMessage());
    }
    throw ConfigChecks.bad(config, pathKey, "holds no private key with a certificate");
  }

  /** Checks that {@code store} holds at least one certificate to trust. */
  public static void requireTrustedCertificate(Config config, String pathKey, KeyStore store) {
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (store.isCertificateEntry(alias)) {
          return;
        }
      }
    } catch (GeneralSecurityException e) {
      throw ConfigChecks.bad(config, pathKey, "cannot list its entries: " + e.getMessage());
    }
    throw ConfigChecks.bad(config, pathKey, "holds no trusted certificate");
  }

  private static void announce(String what, X509Certificate cert) {
    Instant notAfter = cert.getNotAfter().toInstant();
    if (Instant.now().plus(EXPIRY_WARNING).isAfter(notAfter)) {
      log.warn("{} certificate {} expires at {}: replace it and restart the node", what,
          cert.getSubjectX500Principal().getName(), notAfter);
    } else {
      log.info("{} certificate: {}, valid until {}", what, cert.getSubjectX500Principal().getName(), notAfter);
    }
  }

  /** True when the setting at {@code path} is given (not blank). */
  public static boolean isSet(Config config, String path) {
    return !config.getString(path).isBlank();
  }
}
