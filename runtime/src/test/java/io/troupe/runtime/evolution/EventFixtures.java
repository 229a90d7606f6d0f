package io.troupe.runtime.evolution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * Stored-bytes fixtures of persisted events and snapshots: the bytes, serializer id and manifest
 * exactly as the journal stores them, written once per version and read back by every later build.
 *
 * <p>A fixture is two files in {@code src/test/resources/<dir>/<version>/} of the module that owns
 * the type: {@code <key>.cbor} (the serializer's bytes) and {@code <key>.properties} (its
 * {@code serializerId} and {@code manifest}). The key is the class name without its package
 * ({@code Topic.MessagePublished}), or a chosen one for a second sample of a type.
 *
 * <p>Only the serialization config is loaded (no cluster, no database), so this starts in well
 * under a second. Fixtures are read from the module's source tree, not the classpath: a writer run
 * and the check that follows it see the same files, and modules never see each other's fixtures.
 */
public final class EventFixtures implements AutoCloseable {

  /** Set to {@code true} to write the fixtures that are missing; existing ones are never touched. */
  public static final String WRITE_PROPERTY = "troupe.fixtures.write";
  /** The tag of the writer methods, which the build excludes unless asked (see EVOLUTION.md). */
  public static final String WRITER_TAG = "fixture-writer";
  /** The version directory the writer writes into ({@code v1} unless given). */
  public static final String VERSION_PROPERTY = "troupe.fixtures.version";

  /** One stored fixture. */
  public record Fixture(String version, String key, byte[] bytes, int serializerId, String manifest) {
    @Override
    public String toString() {
      return version + "/" + key;
    }
  }

  private final ActorTestKit testKit;
  private final Serialization serialization;
  private final Path root;

  private EventFixtures(ActorTestKit testKit, Path root) {
    this.testKit = testKit;
    this.serialization = SerializationExtension.get(testKit.system().classicSystem());
    this.root = root;
  }

  /**
   * Fixtures under {@code src/test/resources/<dir>} of the module holding {@code testClass},
   * read and written with the node's serialization config ({@code serialization.conf}).
   */
  public static EventFixtures open(Class<?> testClass, String dir) {
    return open(testClass, dir, ConfigFactory.empty());
  }

  /** As {@link #open(Class, String)}, with {@code extra} config on top (e.g. test-only migrations). */
  public static EventFixtures open(Class<?> testClass, String dir, Config extra) {
    Config config = extra
        .withFallback(ConfigFactory.parseResources("serialization.conf"))
        .withFallback(ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING"));
    assertTrue(config.hasPath("pekko.actor.serialization-bindings"),
        "serialization.conf (module cluster-config) must be on the test classpath");
    // The ActorSystem adds Pekko's reference.conf files itself; application.conf (cluster, database) stays out.
    ActorTestKit testKit = ActorTestKit.create(testClass.getSimpleName(), config);
    return new EventFixtures(testKit, moduleTestResources(testClass).resolve(dir));
  }

  /** {@code src/test/resources} of the module whose {@code target/test-classes} holds {@code testClass}. */
  private static Path moduleTestResources(Class<?> testClass) {
    try {
      Path classes = Path.of(testClass.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path resources = classes.getParent().getParent().resolve("src/test/resources");
      assertTrue(Files.isDirectory(resources), "no test resources at " + resources);
      return resources;
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public Serialization serialization() {
    return serialization;
  }

  public Path root() {
    return root;
  }

  /** The fixture key of a class: its name without the package, nested names joined by dots. */
  public static String keyOf(Class<?> type) {
    return type.getName().substring(type.getPackageName().length() + 1).replace('$', '.');
  }

  /** Samples keyed by {@link #keyOf}; keep insertion order so failures list them as written. */
  public static Map<String, Object> samples(Object... values) {
    Map<String, Object> samples = new LinkedHashMap<>();
    for (Object value : values) {
      if (samples.put(keyOf(value.getClass()), value) != null) {
        throw new IllegalArgumentException("two samples of " + value.getClass().getName()
            + ": give the second its own key");
      }
    }
    return samples;
  }

  /** The versions present, oldest first ({@code v1, v2, ..., v10}). */
  public List<String> versions() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(root)) {
      return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(name -> name.matches("v\\d+"))
          .sorted(Comparator.comparingInt(name -> Integer.parseInt(name.substring(1))))
          .toList();
    }
  }

  /** Every fixture of {@code version}, in key order. */
  public List<Fixture> load(String version) throws IOException {
    Path dir = root.resolve(version);
    Set<String> keys = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString()).forEach(name -> {
        if (name.endsWith(".cbor")) {
          keys.add(name.substring(0, name.length() - ".cbor".length()));
        } else if (name.endsWith(".properties")) {
          keys.add(name.substring(0, name.length() - ".properties".length()));
        } else {
          fail("unexpected file " + dir.resolve(name) + ": a fixture is <key>.cbor + <key>.properties");
        }
      });
    }
    List<Fixture> fixtures = new ArrayList<>();
    for (String key : keys) {
      Path bytes = dir.resolve(key + ".cbor");
      Path meta = dir.resolve(key + ".properties");
      assertTrue(Files.isRegularFile(bytes) && Files.isRegularFile(meta), version + "/" + key
          + ": a fixture needs both " + bytes.getFileName() + " and " + meta.getFileName());
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      fixtures.add(new Fixture(version, key, Files.readAllBytes(bytes),
          Integer.parseInt(p.getProperty("serializerId")), p.getProperty("manifest")));
    }
    return fixtures;
  }

  /** Reads a fixture with today's classes, config and migrations, as recovery reads the journal. */
  public Object read(Fixture fixture) {
    return serialization.deserialize(fixture.bytes(), fixture.serializerId(), fixture.manifest()).get();
  }

  /** What the journal would store for {@code value}: serializer id, manifest and bytes. */
  public Fixture store(String version, String key, Object value) {
    Serializer serializer = serialization.findSerializerFor(value);
    return new Fixture(version, key, serialization.serialize(value).get(), serializer.identifier(),
        Serializers.manifestFor(serializer, value));
  }

  /**
   * Writes a fixture for each sample that has none in {@code version} yet, then reads each one
   * written back. A fixture already present is left exactly as it is, whatever the sample says
   * today: stored bytes are history, and rewriting them would hide the change a test must catch.
   *
   * @return the keys written
   */
  public List<String> writeMissing(String version, Map<String, Object> samples) throws IOException {
    Path dir = root.resolve(version);
    Files.createDirectories(dir);
    List<String> written = new ArrayList<>();
    for (Map.Entry<String, Object> sample : samples.entrySet()) {
      String key = sample.getKey();
      Path bytes = dir.resolve(key + ".cbor");
      Path meta = dir.resolve(key + ".properties");
      if (Files.exists(bytes) || Files.exists(meta)) {
        continue;
      }
      Fixture fixture = store(version, key, sample.getValue());
      Files.write(bytes, fixture.bytes());
      try (Writer w = Files.newBufferedWriter(meta, StandardCharsets.UTF_8)) {
        w.write("# " + key + " as stored by the journal at " + version
            + ". Written by EventFixtures.writeMissing: never edit or regenerate (see EVOLUTION.md).\n");
        w.write("serializerId=" + fixture.serializerId() + "\n");
        w.write("manifest=" + fixture.manifest().replace("\\", "\\\\") + "\n");
      }
      RecordAssert.assertSameFields(key, sample.getValue(), read(load(version).stream()
          .filter(f -> f.key().equals(key)).findFirst().orElseThrow()));
      written.add(key);
    }
    return written;
  }

  /** True when this run should write missing fixtures ({@code -Dtroupe.fixtures.write=true}). */
  public static boolean writing() {
    return Boolean.getBoolean(WRITE_PROPERTY);
  }

  /** The version a writer run writes into ({@code -Dtroupe.fixtures.version=v2}; {@code v1} by default). */
  public static String writeVersion() {
    return System.getProperty(VERSION_PROPERTY, "v1");
  }

  /**
   * Checks every stored fixture of every version against today's expectation for it, field by
   * field, and that each expectation has its fixture.
   *
   * @param expected per version, the value each fixture must read as today (key → value)
   */
  public void assertAllReadAsExpected(Map<String, Map<String, Object>> expected) throws IOException {
    List<String> versions = versions();
    assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(versions),
        "versions with fixtures in " + root + " and versions with expected values differ");
    List<String> failures = new ArrayList<>();
    for (String version : versions) {
      Map<String, Object> want = expected.get(version);
      List<Fixture> fixtures = load(version);
      Set<String> stored = new TreeSet<>();
      for (Fixture fixture : fixtures) {
        stored.add(fixture.key());
        if (!want.containsKey(fixture.key())) {
          failures.add(fixture + ": stored, but no expected value says what it must read as");
          continue;
        }
        try {
          RecordAssert.assertSameFields(fixture.toString(), want.get(fixture.key()), read(fixture));
        } catch (AssertionError | RuntimeException e) {
          failures.add(e.getMessage() == null ? fixture + ": " + e : e.getMessage());
        }
      }
      for (String key : want.keySet()) {
        if (!stored.contains(key)) {
          failures.add(version + "/" + key + ": no stored fixture; write it with -D" + WRITE_PROPERTY
              + "=true -D" + VERSION_PROPERTY + "=" + version + " (see EVOLUTION.md)");
        }
      }
    }
    if (!failures.isEmpty()) {
      fail(failures.size() + " stored fixture(s) no longer read as expected:\n  " + String.join("\n  ", failures));
    }
  }

  /** Classes of the values that some stored fixture reads as today. */
  public Set<Class<?>> coveredTypes() throws IOException {
    Set<Class<?>> covered = new java.util.HashSet<>();
    for (String version : versions()) {
      for (Fixture fixture : load(version)) {
        try {
          covered.add(read(fixture).getClass());
        } catch (RuntimeException e) {
          // unreadable fixtures are reported by assertAllReadAsExpected
        }
      }
    }
    return covered;
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
  }
}
