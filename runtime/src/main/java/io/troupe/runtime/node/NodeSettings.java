package io.troupe.runtime.node;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The node's own settings, read once from the {@code troupe} config block (see the runtime's reference.conf). */
public record NodeSettings(
    String host,
    int httpPort,
    int clusterPort,
    int managementPort,
    List<String> seedNodes,
    Path dataDir,
    String dbUrl,
    String dbUser,
    String dbPassword,
    int embeddedDbPort,
    int queryPoolSize,
    Duration clusterPollInterval) {

  public static NodeSettings from(Config config) {
    Config t = config.getConfig("troupe");
    return new NodeSettings(
        t.getString("host"),
        t.getInt("http-port"),
        t.getInt("cluster-port"),
        t.getInt("management-port"),
        splitSeeds(t.getString("seed-nodes")),
        Path.of(t.getString("data-dir")),
        t.getString("db.url").trim(),
        t.getString("db.user"),
        t.getString("db.password"),
        t.getInt("db.embedded-port"),
        t.getInt("db.query-pool-size"),
        t.getDuration("metrics.cluster-poll-interval"));
  }

  public boolean embeddedDatabase() {
    return dbUrl.isEmpty();
  }

  private static List<String> splitSeeds(String seeds) {
    List<String> out = new ArrayList<>();
    for (String s : seeds.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    // Never print the password.
    return "NodeSettings[host=" + host + ", http=" + httpPort + ", cluster=" + clusterPort
        + ", management=" + managementPort + ", seeds=" + seedNodes + ", dataDir=" + dataDir
        + ", db=" + (embeddedDatabase() ? "embedded" : dbUrl) + "]";
  }
}
