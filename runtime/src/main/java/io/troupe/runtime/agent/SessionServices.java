package io.troupe.runtime.agent;

import com.typesafe.config.Config;
import io.troupe.runtime.llm.LlmProvider;
import io.troupe.runtime.llm.ResponseCache;
import io.troupe.runtime.tool.ToolRegistry;
import java.time.Duration;
import java.util.Map;

/**
 * What a session needs from its node: model providers by name, the tool registry, the response
 * cache, and its time limits (troupe.sessions in troupe.conf).
 */
public record SessionServices(Map<String, LlmProvider> providers, ToolRegistry tools, ResponseCache cache,
                              Duration llmTimeout, Duration maxDuration) {

  public static SessionServices from(Config sessions, Map<String, LlmProvider> providers, ToolRegistry tools) {
    return new SessionServices(Map.copyOf(providers), tools, new ResponseCache(sessions.getInt("cache-entries")),
        sessions.getDuration("llm-timeout"), sessions.getDuration("max-duration"));
  }
}
