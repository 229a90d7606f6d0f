package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.troupe.agents.spectrum.SpectrumSettings;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.node.NodeSettings;
import io.troupe.runtime.node.RuntimeSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every module's reference.conf holds its defaults, the typed settings read them, and the README's
 * TROUPE_* variables and the configuration's agree: each variable the README names sets a key,
 * and each variable a key reads is in the README.
 */
class ConfigurationTest {

  /** The modules that have settings, each with its reference.conf. */
  private static final List<String> MODULES = List.of("runtime", "agents", "http-api");
  /** Cluster-config's files that read TROUPE_* variables for Pekko's own settings. */
  private static final List<String> CLUSTER_CONFIG_FILES = List.of("cluster.conf", "production.conf", "loopback.conf");

  /** Variables the README names that no configuration reads, by design, with where they are read. */
  private static final Map<String, String> NOT_CONFIG_KEYS = Map.of(
      // The test suite's external PostgreSQL (runtime's TestDatabase), not a node setting.
      "TROUPE_TEST_DB_URL", "runtime/src/test/java/io/troupe/runtime/TestDatabase.java",
      "TROUPE_TEST_DB_USER", "runtime/src/test/java/io/troupe/runtime/TestDatabase.java",
      "TROUPE_TEST_DB_PASSWORD", "runtime/src/test/java/io/troupe/runtime/TestDatabase.java",
      // The local cluster script's own knobs (where it runs, how long it waits, the JVM and nginx).
      "TROUPE_CLUSTER_DIR", "cluster-config/bin/troupe-cluster",
      "TROUPE_CLUSTER_WAIT", "cluster-config/bin/troupe-cluster",
      "TROUPE_JAVA_OPTS", "cluster-config/bin/troupe-cluster",
      "TROUPE_LB_PORT", "cluster-config/bin/troupe-cluster",
      "TROUPE_LB_DRAIN", "cluster-config/bin/troupe-cluster");

  private static final Pattern SUBSTITUTION = Pattern.compile("\\$\\{\\??(TROUPE_[A-Z0-9_]+)}");
  private static final Pattern MENTION = Pattern.compile("TROUPE_[A-Z0-9_]*[A-Z0-9]");
  /** The README documents the per-class rate-limit variables as one pattern. */
  private static final String CLASS_PATTERN = "`TROUPE_RATE_LIMIT_<CLASS>_PER_MINUTE` / `_PER_HOUR`";

  @Test
  void eachModuleShipsItsDefaultsAndTheSettingsReadThem() {
    for (String module : MODULES) {
      assertTrue(Files.isRegularFile(root().resolve(module).resolve("src/main/resources/reference.conf")), module);
    }
    Config reference = ConfigFactory.defaultReference();
    assertTrue(reference.hasPath("troupe.host"), "runtime's reference.conf is loaded");
    assertTrue(reference.hasPath("troupe.deconfliction.snapshot-every"), "agents' reference.conf is loaded");
    assertTrue(reference.hasPath("troupe.http.max-body-bytes"), "http-api's reference.conf is loaded");

    Config loaded = ConfigFactory.load();
    RuntimeSettings runtime = RuntimeSettings.from(loaded);
    assertEquals(4, runtime.readSide().slices());
    assertEquals(3, runtime.ask().attempts());
    assertEquals(100, runtime.broker().defaultReadLimit());
    assertEquals(1000, SpectrumSettings.from(loaded).coordinator().snapshotEvery());
    assertEquals(1024 * 1024, HttpSettings.from(loaded).maxBodyBytes());
    assertEquals(25520, NodeSettings.from(loaded).clusterPort());
    assertEquals(1024 * 1024, loaded.getBytes("pekko.http.server.parsing.max-content-length"),
        "the edge's body limit is Pekko's too");
  }

  @Test
  void aBadValueStopsTheStartNamingItsKey() {
    ConfigException wrongType = assertThrows(ConfigException.class, () -> RuntimeSettings.from(
        ConfigFactory.parseString("troupe.broker.max-streams = many").withFallback(ConfigFactory.load())));
    assertTrue(wrongType.getMessage().contains("troupe.broker.max-streams"), wrongType.getMessage());
    ConfigException outOfRange = assertThrows(ConfigException.class, () -> RuntimeSettings.from(
        ConfigFactory.parseString("troupe.http.ask-attempts = 0").withFallback(ConfigFactory.load())));
    assertTrue(outOfRange.getMessage().contains("troupe.http.ask-attempts"), outOfRange.getMessage());
    ConfigException agents = assertThrows(ConfigException.class, () -> SpectrumSettings.from(
        ConfigFactory.parseString("troupe.deconfliction.max-list-limit = -1").withFallback(ConfigFactory.load())));
    assertTrue(agents.getMessage().contains("troupe.deconfliction.max-list-limit"), agents.getMessage());
  }

  @Test
  void everyReadmeVariableSetsAKeyAndEveryVariableIsInTheReadme() throws IOException {
    Map<String, Set<String>> keysByVariable = keysByVariable();
    Set<String> read = keysByVariable.keySet();
    Set<String> documented = readmeVariables();

    Set<String> unread = new TreeSet<>(documented);
    unread.removeAll(read);
    unread.removeAll(NOT_CONFIG_KEYS.keySet());
    assertTrue(unread.isEmpty(), "the README names variables no configuration reads: " + unread);

    Set<String> undocumented = new TreeSet<>(read);
    undocumented.removeAll(documented);
    assertTrue(undocumented.isEmpty(), "variables the configuration reads but the README does not name: "
        + undocumented);

    keysByVariable.forEach((variable, keys) ->
        assertFalse(keys.isEmpty(), variable + " is substituted but sets no key"));
    for (var e : NOT_CONFIG_KEYS.entrySet()) {
      assertFalse(read.contains(e.getKey()), e.getKey() + " is read by the configuration after all");
      assertTrue(Files.readString(root().resolve(e.getValue())).contains(e.getKey()),
          e.getKey() + " is not read where this test says: " + e.getValue());
    }
    assertEquals(Set.of("troupe.http-port"), keysByVariable.get("TROUPE_HTTP_PORT"));
    assertTrue(keysByVariable.get("TROUPE_SBR_STABLE_AFTER").contains("pekko.cluster.split-brain-resolver.stable-after"));
  }

  /**
   * Each variable a configuration file substitutes, with the keys it sets: the files are resolved
   * with every variable set to a value of its own, and each key holding one of them names its variable.
   */
  private static Map<String, Set<String>> keysByVariable() throws IOException {
    Map<String, Set<String>> keys = new TreeMap<>();
    Config all = ConfigFactory.empty();
    for (String module : MODULES) {
      Path file = root().resolve(module).resolve("src/main/resources/reference.conf");
      collectVariables(Files.readString(file), keys);
      all = all.withFallback(ConfigFactory.parseFile(file.toFile()));
    }
    Path clusterConfig = root().resolve("cluster-config/src/main/resources");
    for (String name : CLUSTER_CONFIG_FILES) {
      collectVariables(Files.readString(clusterConfig.resolve(name)), keys);
      all = ConfigFactory.parseFile(clusterConfig.resolve(name).toFile()).withFallback(all);
    }
    Map<String, Object> values = new HashMap<>();
    keys.keySet().forEach(variable -> values.put(variable, sentinel(variable)));
    // ${?TROUPE_X} looks TROUPE_X up in the configuration before the environment.
    Config resolved = ConfigFactory.parseMap(values).withFallback(all).resolve();
    resolved.entrySet().stream().filter(e -> !e.getKey().startsWith("TROUPE_")).forEach(e -> {
      Object value = e.getValue().unwrapped();
      for (String variable : keys.keySet()) {
        if (sentinel(variable).equals(value)) {
          keys.get(variable).add(e.getKey());
        }
      }
    });
    return keys;
  }

  private static void collectVariables(String text, Map<String, Set<String>> into) {
    Matcher m = SUBSTITUTION.matcher(text);
    while (m.find()) {
      into.putIfAbsent(m.group(1), new TreeSet<>());
    }
  }

  private static String sentinel(String variable) {
    return "set-by-" + variable;
  }

  /** The TROUPE_* variables the README names, the per-class rate-limit pattern expanded. */
  private static Set<String> readmeVariables() throws IOException {
    String readme = Files.readString(root().resolve("README.md"));
    Set<String> names = new TreeSet<>();
    Matcher m = MENTION.matcher(readme.replace(CLASS_PATTERN, ""));
    while (m.find()) {
      names.add(m.group());
    }
    assertTrue(readme.contains(CLASS_PATTERN), "the README documents the per-class rate-limit variables");
    for (EndpointClass cls : EndpointClass.values()) {
      String label = cls.label().toUpperCase(Locale.ROOT);
      names.add("TROUPE_RATE_LIMIT_" + label + "_PER_MINUTE");
      names.add("TROUPE_RATE_LIMIT_" + label + "_PER_HOUR");
    }
    return names;
  }

  private static Path root() {
    return MonitoringFiles.monitoringDir().getParent();
  }
}
