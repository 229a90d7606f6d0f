package io.troupe.runtime.tool;

import io.troupe.runtime.broker.TopicLog;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Registers the runtime's own tools: {@code publish_to_topic}, {@code read_topic}, and
 * {@code http_get} when troupe.tools.http-get.allowed-hosts names at least one host.
 */
public final class BuiltInTools {

  private BuiltInTools() {}

  public static ToolRegistry register(ToolRegistry registry, ActorSystem<?> system, TopicLog topicLog,
                                      ToolSettings settings) {
    registry.register(new PublishToTopicTool(system));
    registry.register(new ReadTopicTool(topicLog));
    if (!settings.httpGetAllowedHosts().isEmpty()) {
      registry.register(new HttpGetTool(system, settings));
    }
    return registry;
  }
}
