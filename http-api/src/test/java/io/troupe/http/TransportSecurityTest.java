package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.agents.DomainEntities;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.node.RemoteTls;
import io.troupe.runtime.node.TroupeNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorIdentity;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.Identify;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transport security on two real nodes (one JVM, one PostgreSQL), with certificates keytool makes
 * at test time: the nodes form their cluster over mutual TLS (Artery tls-tcp) and serve HTTPS;
 * an actor system with a certificate from another CA can neither join nor reach a node, while the
 * same one with the cluster CA's certificate reaches it; the HTTPS edge answers over HTTP/2 and
 * HTTP/1.1, and plain HTTP or a client that does not trust the CA gets nothing. A bad store or
 * password stops the start with one line, and no store password is logged.
 */
class TransportSecurityTest {

  private static final Duration STAYS_OUT_FOR = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
  private static final LogCapture logs = LogCapture.open();

  @TempDir static Path dir;
  private static TestCertificates certs;
  private static DatabaseTarget db;
  private static final List<TroupeNode> nodes = new ArrayList<>();
  private static final List<TestNodes.Ports> ports = new ArrayList<>();

  @BeforeAll
  static void startTwoNodesOverMutualTls() throws Exception {
    certs = TestCertificates.make(dir, List.of("node-1", "node-2"), List.of("intruder"));
    db = TestDatabase.fresh();
    ports.add(TestNodes.Ports.free());
    ports.add(TestNodes.Ports.free());
    for (int i = 0; i < 2; i++) {
      Config config = TestNodes.config(db, ports.get(i), List.of(ports.get(0).seed()), tls("node-" + (i + 1)));
      TroupeNode node = TroupeNode.start(config, DomainEntities.ALL, DomainEntities.TOOLS);
      nodes.add(node);
      TroupeServer.start(node);
    }
    Eventually.await(Duration.ofSeconds(60), "both nodes see 2 members Up", () ->
        nodes.stream().allMatch(n -> upMembers(n.system()).size() == 2) ? Optional.of(true) : Optional.empty());
  }

  @AfterAll
  static void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  @Test
  void theClusterRunsOverMutualTlsAndAForeignCertificateCannotJoin() throws Exception {
    for (TroupeNode node : nodes) {
      Config pekko = node.system().settings().config();
      assertEquals("tls-tcp", pekko.getString("pekko.remote.artery.transport"));
      assertTrue(pekko.getBoolean("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication"));
    }
    // Mutual: the cluster port refuses a TLS client that trusts the CA but presents no certificate,
    // and keeps the connection of one that presents a certificate the CA signed.
    int clusterPort = ports.get(0).cluster();
    assertFalse(tlsConnectionStaysOpen(certs.trustingClusterCa(), clusterPort), "a client without a certificate got in");
    assertTrue(tlsConnectionStaysOpen(certs.presenting("node-2"), clusterPort), "a client with the CA's certificate");

    Address seed = Cluster.get(nodes.get(0).system()).selfMember().address();
    ActorSystem<Void> intruder = outsider("intruder");
    // The control: wired the same way, but with a certificate of the cluster's CA. It does not join
    // (a member without shard regions would stall the shard coordinators); it only talks to node 1.
    ActorSystem<Void> trusted = outsider("node-2");
    try {
      Address intruderAddress = Cluster.get(intruder).selfMember().address();
      Instant until = Instant.now().plus(STAYS_OUT_FOR);
      Cluster.get(intruder).manager().tell(new JoinSeedNodes(List.of(seed)));

      assertTrue(answers(trusted, seed, Duration.ofSeconds(15)), "the cluster CA's certificate reaches node 1");
      assertFalse(answers(intruder, seed, Duration.ofSeconds(3)), "a foreign CA's certificate reaches node 1");
      while (Instant.now().isBefore(until)) {
        for (TroupeNode node : nodes) {
          assertFalse(members(node.system()).stream().anyMatch(m -> m.address().equals(intruderAddress)),
              "a member with a foreign CA's certificate got into the cluster");
        }
        assertTrue(members(intruder).isEmpty(), "the intruder sees a cluster: " + members(intruder));
        Thread.sleep(100); // the poll interval while the intruder keeps trying
      }
    } finally {
      terminate(intruder);
      terminate(trusted);
    }
  }

  @Test
  void httpsServesTheApiOverHttp2AndHttp11AndNothingElse() throws Exception {
    HttpClient http2 = client(HttpClient.Version.HTTP_2);
    HttpResponse<String> ready = http2.send(get(0, "/health/ready").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ready.statusCode(), ready.body());
    assertEquals(HttpClient.Version.HTTP_2, ready.version(), "HTTP/2 negotiated over TLS (ALPN)");

    // Published through node 1, read through node 2: both edges serve the one cluster's data over HTTPS.
    String message = "{\"sender\": \"tls\", \"messageType\": \"note\", \"content\": \"over TLS\"}";
    HttpResponse<String> published = http2.send(get(0, "/api/v1/topics/tls-topic/messages")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(message)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, published.statusCode(), published.body());
    HttpResponse<String> read = http2.send(get(1, "/api/v1/topics/tls-topic/messages?from=1").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, read.statusCode(), read.body());
    assertTrue(read.body().contains("over TLS"), read.body());
    assertTrue(streamCarries(http2, "/api/v1/topics/tls-topic/stream?from=1", "over TLS"), "SSE over HTTP/2");
    HttpResponse<String> topics = http2.send(get(1, "/api/v1/topics").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, topics.statusCode(), topics.body());
    assertTrue(topics.body().contains("tls-topic"), topics.body());
    assertEquals(HttpClient.Version.HTTP_2, topics.version());

    // The audit log still learns the client's address over HTTP/2.
    HttpResponse<String> refused = http2.send(get(0, "/api/v1/topics/tls-audit/messages")
        .setHeader("Authorization", "Bearer not-a-key-of-this-cluster").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, refused.statusCode(), refused.body());
    assertEquals(HttpClient.Version.HTTP_2, refused.version());
    Eventually.await(Duration.ofSeconds(10), "the audit entry of the refused HTTP/2 request", () -> {
      try {
        String audit = http2.send(get(0, "/api/v1/security/audit?action=AUTH_FAILED&limit=500").build(),
            HttpResponse.BodyHandlers.ofString()).body();
        for (var entry : Json.MAPPER.readTree(audit).get("entries")) {
          if (entry.get("resource").asText().equals("/api/v1/topics/tls-audit/messages")) {
            assertEquals("127.0.0.1", entry.get("remoteAddress").asText());
            return Optional.of(true);
          }
        }
        return Optional.empty();
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });

    HttpResponse<String> http11 = client(HttpClient.Version.HTTP_1_1)
        .send(get(0, "/health/live").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, http11.statusCode());
    assertEquals(HttpClient.Version.HTTP_1_1, http11.version(), "HTTP/1.1 clients are served too");

    HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    URI plainUri = URI.create("http://127.0.0.1:" + ports.get(0).http() + "/health/live");
    assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(plainUri).timeout(REQUEST_TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofString()), "plain HTTP to the HTTPS port gets no answer");

    HttpClient notTrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThrows(SSLHandshakeException.class, () -> notTrusting.send(get(0, "/health/live").build(),
        HttpResponse.BodyHandlers.ofString()), "the edge presents the configured certificate, not a public one");
  }

  @Test
  void aBadStoreStopsTheStartWithOneLineNamingTheSetting() {
    String keystore = certs.keystore("node-1").toString();
    String truststore = certs.truststore().toString();
    String wrong = "not-" + certs.password;

    assertRefused(Map.of("troupe.http.tls.keystore", keystore, "troupe.http.tls.keystore-password", wrong),
        "troupe.http.tls.keystore-password", "wrong password", wrong);
    assertRefused(Map.of("troupe.http.tls.keystore", dir.resolve("absent.p12").toString(),
        "troupe.http.tls.keystore-password", certs.password), "troupe.http.tls.keystore", "no readable file", certs.password);
    assertRefused(Map.of("troupe.http.tls.keystore", truststore, "troupe.http.tls.keystore-password", certs.password),
        "troupe.http.tls.keystore", "holds no private key", certs.password);
    assertRefused(Map.of("troupe.http.tls.keystore", keystore), "troupe.http.tls.keystore-password", "is empty", certs.password);
    assertRefused(Map.of("troupe.http.tls.keystore-password", certs.password),
        "troupe.http.tls.keystore-password", "TROUPE_HTTP_TLS_KEYSTORE", certs.password);

    assertRefused(Map.of("troupe.remote.tls.keystore", keystore, "troupe.remote.tls.keystore-password", certs.password),
        "troupe.remote.tls.keystore", "TROUPE_REMOTE_TLS_TRUSTSTORE", certs.password);
    assertRefused(Map.of("troupe.remote.tls.keystore", keystore, "troupe.remote.tls.keystore-password", certs.password,
        "troupe.remote.tls.truststore", truststore, "troupe.remote.tls.truststore-password", wrong),
        "troupe.remote.tls.truststore-password", "wrong password", wrong);
    assertRefused(Map.of("troupe.remote.tls.keystore", truststore, "troupe.remote.tls.keystore-password", certs.password,
        "troupe.remote.tls.truststore", truststore, "troupe.remote.tls.truststore-password", certs.password),
        "troupe.remote.tls.keystore", "holds no private key", certs.password);

    assertFalse(RemoteTls.check(ConfigFactory.load()), "remote TLS is off by default (plain tcp for loopback)");
    assertEquals("tcp", RemoteTls.withTransport(ConfigFactory.load()).getString("pekko.remote.artery.transport"));
    assertTrue(HttpSettings.from(ConfigFactory.load()).tls().isEmpty(), "the edge serves plain HTTP by default");
  }

  @Test
  void noStorePasswordIsLogged() {
    List<String> leaking = logs.lines().stream().filter(line -> line.contains(certs.password)).toList();
    assertTrue(leaking.isEmpty(), "log lines with the store password: " + leaking);
    assertTrue(logs.lines().stream().anyMatch(line -> line.contains("Troupe HTTP edge listening on https://")),
        "the capture saw the nodes start");
  }

  /**
   * The settings {@code Main} checks before the node starts (the edge's) and those the node checks
   * before its database and cluster (the cluster link's) refuse {@code settings} with one line
   * naming {@code key} and saying {@code why}, without {@code secret}.
   */
  private static void assertRefused(Map<String, Object> settings, String key, String why, String secret) {
    Config config = ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load());
    com.typesafe.config.ConfigException e = assertThrows(com.typesafe.config.ConfigException.class, () -> {
      HttpSettings.from(config);
      RemoteTls.check(config);
    });
    String message = e.getMessage();
    assertTrue(message.contains("'" + key + "'") && message.contains(why), message);
    assertFalse(message.contains(secret), "the message shows a password: " + message);
    assertFalse(message.contains("\n"), "one line: " + message);
  }

  /** The TLS settings of a node presenting {@code name}'s certificate, on both the edge and the cluster link. */
  private static Map<String, Object> tls(String name) {
    String keystore = certs.keystore(name).toString();
    return Map.of(
        "troupe.remote.tls.keystore", keystore,
        "troupe.remote.tls.keystore-password", certs.password,
        "troupe.remote.tls.truststore", certs.truststore().toString(),
        "troupe.remote.tls.truststore-password", certs.password,
        "troupe.http.tls.keystore", keystore,
        "troupe.http.tls.keystore-password", certs.password);
  }

  /**
   * A bare clustered actor system configured as a node is (the node's remote TLS wiring, {@code
   * name}'s certificate, the cluster CA as its truststore), not joined to anything.
   */
  private static ActorSystem<Void> outsider(String name) {
    Config overrides = TestNodes.config(db, TestNodes.Ports.free(), List.of(ports.get(0).seed()), tls(name));
    Config config = ConfigFactory.load(overrides.withFallback(ConfigFactory.defaultApplication()));
    assertTrue(RemoteTls.check(config), "its stores open: only the CA that signed its certificate can differ");
    return ActorSystem.create(Behaviors.empty(), TroupeNode.SYSTEM_NAME, RemoteTls.withTransport(config));
  }

  /**
   * Whether a TLS connection to {@code port} is still open a moment after the handshake (the cluster
   * port then waits for Artery's header); false when the server ends it (refused certificate).
   */
  private static boolean tlsConnectionStaysOpen(SSLContext client, int port) throws IOException {
    try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(2_000);
      socket.startHandshake();
      // TLS 1.3: the server judges the client's certificate after the client finished its part,
      // so a refusal arrives as an alert on the first read.
      return socket.getInputStream().read() != -1;
    } catch (SocketTimeoutException stillOpen) {
      return true;
    } catch (SSLException refused) {
      return false;
    }
  }

  /** Whether the system guardian at {@code address} answers an Identify from {@code from} within {@code timeout}. */
  private static boolean answers(ActorSystem<Void> from, Address address, Duration timeout) {
    var guardian = Adapter.toClassic(from).actorSelection(address + "/system");
    try {
      Object reply = Patterns.ask(guardian, new Identify("tls"), timeout).toCompletableFuture()
          .get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
      return reply instanceof ActorIdentity identity && identity.getActorRef().isPresent();
    } catch (Exception noAnswer) {
      return false;
    }
  }

  /**
   * Stops an outsider system. Its Artery-over-TLS streams to a node that refused its certificate
   * (or that it only identified, without joining) can hold the actor-system-terminate phase for its
   * full 10 s and the remoting shutdown after it: seen at 30+ s in two of this session's five CI runs, with
   * nothing wrong with the cluster. This test is about who may join, not how fast an outsider stops.
   */
  private static void terminate(ActorSystem<Void> system) throws Exception {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(90, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException slow) {
      // Not this test's subject (above): said, not failed. Seen past 90 s once on a loaded machine.
      System.err.println("[tls] outsider " + system.name() + " still stopping after 90 s; left to stop on its own");
    }
  }

  private static List<Member> members(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false).toList();
  }

  private static List<Member> upMembers(ActorSystem<?> system) {
    return members(system).stream().filter(m -> m.status().equals(MemberStatus.up())).toList();
  }

  private static HttpClient client(HttpClient.Version version) throws Exception {
    return HttpClient.newBuilder().version(version).sslContext(certs.trustingClusterCa())
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Whether node 1's SSE stream at {@code path}, over {@code client}'s HTTP/2, sends a line with {@code text} (bounded). */
  private static boolean streamCarries(HttpClient client, String path, String text) throws Exception {
    HttpResponse<java.util.stream.Stream<String>> stream = client.send(get(0, path).build(),
        HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, stream.statusCode());
    assertEquals(HttpClient.Version.HTTP_2, stream.version());
    try (java.util.stream.Stream<String> lines = stream.body()) {
      return java.util.concurrent.CompletableFuture.supplyAsync(() -> lines.anyMatch(line -> line.contains(text)))
          .get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /** A request to node {@code index}'s HTTPS edge, as the test nodes' admin. */
  private static HttpRequest.Builder get(int index, String path) {
    return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + ports.get(index).http() + path))
        .header("Authorization", "Bearer " + TestNodes.ADMIN_TOKEN)
        .timeout(REQUEST_TIMEOUT);
  }
}
