package io.troupe.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made at test time with the JDK's keytool, as the README tells an operator to make
 * them (no key is ever committed): a CA of the cluster's own, one PKCS12 keystore per node holding
 * the node's key and its certificate signed by that CA (for 127.0.0.1 and localhost, usable by
 * both TLS server and client), a truststore holding the CA, and keystores signed by a second,
 * foreign CA for nodes that must not get in. Every store has one random password.
 */
final class TestCertificates {

  private static final Path KEYTOOL = Path.of(System.getProperty("java.home"), "bin", "keytool");
  /** keytool reads the password from this variable (-storepass:env), so it is on no command line. */
  private static final String PASSWORD_VARIABLE = "TROUPE_TEST_STORE_PASSWORD";
  private static final long KEYTOOL_TIMEOUT_SECONDS = 60;
  /** Far enough from the end that the node does not warn about expiry (it does within 30 days). */
  private static final String VALIDITY_DAYS = "90";

  final Path dir;
  final String password = UUID.randomUUID().toString();
  private final Map<String, Path> keystores = new ConcurrentHashMap<>();

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /**
   * In {@code dir}: the cluster CA, its truststore, a keystore for each of {@code nodes} signed by
   * it and one for each of {@code foreigners} signed by another CA (made in parallel: each keytool
   * run is a JVM start).
   */
  static TestCertificates make(Path dir, List<String> nodes, List<String> foreigners) throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<?> foreignCa = pool.submit(() -> certs.authority("foreign-ca"));
      certs.authority("cluster-ca");
      List<Future<?>> leaves = new ArrayList<>();
      leaves.add(pool.submit(certs::clusterTruststore));
      for (String node : nodes) {
        leaves.add(pool.submit(() -> certs.leaf(node, "cluster-ca")));
      }
      foreignCa.get(KEYTOOL_TIMEOUT_SECONDS * 2, TimeUnit.SECONDS);
      for (String foreigner : foreigners) {
        leaves.add(pool.submit(() -> certs.leaf(foreigner, "foreign-ca")));
      }
      for (Future<?> leaf : leaves) {
        leaf.get(KEYTOOL_TIMEOUT_SECONDS * 4, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return certs;
  }

  /** The PKCS12 keystore made for {@code name}. */
  Path keystore(String name) {
    Path path = keystores.get(name);
    if (path == null) {
      throw new IllegalArgumentException("no keystore made for " + name);
    }
    return path;
  }

  /** The PKCS12 truststore holding the cluster CA's certificate. */
  Path truststore() {
    return dir.resolve("truststore.p12");
  }

  /** A client SSLContext that trusts the cluster CA only and presents no certificate. */
  SSLContext trustingClusterCa() throws Exception {
    return context(null);
  }

  /** A client SSLContext that trusts the cluster CA only and presents {@code name}'s certificate. */
  SSLContext presenting(String name) throws Exception {
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(load(keystore(name)), password.toCharArray());
    return context(keys);
  }

  private SSLContext context(KeyManagerFactory keys) throws Exception {
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(load(truststore()));
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
    return context;
  }

  private KeyStore load(Path file) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, password.toCharArray());
    }
    return store;
  }

  /** A self-signed CA key in {@code <name>.p12}, its certificate in {@code <name>.pem}. */
  private Void authority(String name) throws IOException, InterruptedException {
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", VALIDITY_DAYS,
        "-dname", "CN=Troupe test " + name, "-ext", "bc:c", "-keystore", file(name + ".p12"), "-storetype", "PKCS12");
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", file(name + ".p12"), "-file", file(name + ".pem"));
    return null;
  }

  /** {@code truststore.p12}: the cluster CA's certificate. */
  private Void clusterTruststore() throws IOException, InterruptedException {
    keytool("-importcert", "-alias", "ca", "-noprompt", "-file", file("cluster-ca.pem"),
        "-keystore", file("truststore.p12"), "-storetype", "PKCS12");
    return null;
  }

  /** {@code <name>.p12}: a key and its certificate, signed by {@code ca}, with the CA in its chain. */
  private Void leaf(String name, String ca) throws IOException, InterruptedException {
    String store = file(name + ".p12");
    keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", VALIDITY_DAYS,
        "-dname", "CN=" + name, "-keystore", store, "-storetype", "PKCS12");
    keytool("-certreq", "-alias", "node", "-keystore", store, "-file", file(name + ".csr"));
    keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", file(ca + ".p12"), "-validity", VALIDITY_DAYS,
        "-infile", file(name + ".csr"), "-outfile", file(name + ".pem"),
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "KU=digitalSignature",
        "-ext", "EKU=serverAuth,clientAuth");
    Files.writeString(dir.resolve(name + "-chain.pem"),
        Files.readString(dir.resolve(name + ".pem")) + Files.readString(dir.resolve(ca + ".pem")));
    keytool("-importcert", "-alias", "node", "-noprompt", "-keystore", store, "-file", file(name + "-chain.pem"));
    keystores.put(name, Path.of(store));
    return null;
  }

  private String file(String name) {
    return dir.resolve(name).toString();
  }

  /** Runs keytool (bounded) with the store password from the environment; fails with its output. */
  private void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(KEYTOOL.toString(), "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
    command.addAll(List.of(args));
    // PKCS12 protects the key with the store's password: keytool takes no other -keypass.
    command.addAll(List.of("-storepass:env", PASSWORD_VARIABLE));
    Path output = Files.createTempFile(dir, "keytool", ".out");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().put(PASSWORD_VARIABLE, password);
    Process process = builder.start();
    if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("keytool " + args[0] + " did not finish within " + KEYTOOL_TIMEOUT_SECONDS + " s");
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + Files.readString(output));
    }
  }
}
