package io.troupe.runtime.tool;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import io.troupe.runtime.broker.TopicLog;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Registers the runtime's own tools: {@code publish_to_topic}, {@code read_topic}, and
 * {@code http_get} when {@code http-get.allowed-hosts} names at least one host.
 */
public final class BuiltInTools {

  private BuiltInTools() {}

  /**
   * @param toolsConfig the {@code troupe.tools} block: {@code http-get.allowed-hosts} (a
   *     comma-separated string, as environment variables give it, or a list) and
   *     {@code http-get.max-body-bytes}; both optional
   */
  public static ToolRegistry register(ToolRegistry registry, ActorSystem<?> system, TopicLog topicLog,
                                      Config toolsConfig) {
    registry.register(new PublishToTopicTool(system));
    registry.register(new ReadTopicTool(topicLog));
    Set<String> hosts = allowedHosts(toolsConfig);
    if (!hosts.isEmpty()) {
      int maxBodyBytes = toolsConfig.hasPath("http-get.max-body-bytes")
          ? Math.toIntExact(toolsConfig.getBytes("http-get.max-body-bytes"))
          : HttpGetTool.DEFAULT_MAX_BODY_BYTES;
      registry.register(new HttpGetTool(hosts, maxBodyBytes));
    }
    return registry;
  }

  static Set<String> allowedHosts(Config toolsConfig) {
    String path = "http-get.allowed-hosts";
    if (!toolsConfig.hasPath(path)) {
      return Set.of();
    }
    List<String> entries = toolsConfig.getValue(path).valueType() == ConfigValueType.LIST
        ? toolsConfig.getStringList(path)
        : Arrays.asList(toolsConfig.getString(path).split(","));
    return entries.stream().map(String::trim).filter(h -> !h.isEmpty()).collect(Collectors.toUnmodifiableSet());
  }
}
