package io.troupe.agents.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.tool.Tool;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;

/** The spectrum tools agents may call, for the node's tool registry. */
public final class SpectrumTools {

  static final ObjectMapper JSON = new ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
      .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  public static final List<Function<ActorSystem<?>, Tool>> ALL = List.of(
      RequestDeconflictionTool::new, SpectrumPlanTool::new, ReleaseAllocationTool::new);

  private SpectrumTools() {}

  /** The user a tool call acts for: the session's owner (sessions without one act as the anonymous user). */
  static String owner(io.troupe.runtime.tool.ToolContext context) {
    return context.userId() == null ? io.troupe.runtime.agent.Session.ANONYMOUS_USER : context.userId();
  }

  static JsonNode schema(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("bad tool schema", e);
    }
  }
}
