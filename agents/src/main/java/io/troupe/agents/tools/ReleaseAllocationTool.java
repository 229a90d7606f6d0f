package io.troupe.agents.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import io.troupe.runtime.tool.ToolException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * {@code release_allocation}: ends an active allocation. Releasing one that a retried call
 * already released answers as released, so a resumed session's retry is harmless.
 */
final class ReleaseAllocationTool implements Tool {

  private static final JsonNode PARAMETERS = SpectrumTools.schema("""
      {"type":"object","additionalProperties":false,"required":["allocationId"],
       "properties":{"allocationId":{"type":"string","minLength":3,"maxLength":160}}}""");

  private final ClusterSharding sharding;

  ReleaseAllocationTool(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
  }

  @Override
  public String name() {
    return "release_allocation";
  }

  @Override
  public String description() {
    return "Release an active frequency allocation by its allocationId (e.g. default-12).";
  }

  @Override
  public JsonNode parameters() {
    return PARAMETERS;
  }

  @Override
  public CompletionStage<JsonNode> call(ToolContext context, JsonNode a) {
    String id = a.get("allocationId").asText();
    String theater = DeconflictionCoordinator.theaterOf(id);
    if (theater.isEmpty()) {
      return CompletableFuture.failedFuture(new ToolException("no allocation " + id + " is known"));
    }
    return sharding.entityRefFor(DeconflictionCoordinator.ENTITY_KEY, theater)
        .<DeconflictionCoordinator.ReleaseResult>ask(replyTo -> new DeconflictionCoordinator.Release(id, replyTo),
            context.timeout())
        .thenApply(result -> {
          switch (result.outcome()) {
            case NOT_FOUND -> throw new ToolException("no allocation " + id + " is known");
            case NOT_ACTIVE -> {
              if (result.allocation().status() != io.troupe.agents.spectrum.AllocationStatus.RELEASED) {
                throw new ToolException("allocation " + id + " is " + result.allocation().status() + ", not active");
              }
            }
            default -> { }
          }
          return (JsonNode) SpectrumTools.JSON.createObjectNode().put("allocationId", id).put("status", "RELEASED");
        });
  }
}
