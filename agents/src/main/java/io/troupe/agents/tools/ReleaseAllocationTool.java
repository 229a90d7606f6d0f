package io.troupe.agents.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.agents.spectrum.Spectrum;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.tool.ToolException;
import io.troupe.runtime.tool.WriteLimits;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * {@code release_allocation}: ends an active allocation the session's owner requested (any, for an
 * ADMIN's session). Releasing one that a retried call
 * already released answers as released, so a resumed session's retry is harmless.
 */
final class ReleaseAllocationTool implements Tool {

  private static final JsonNode PARAMETERS = SpectrumTools.schema("""
      {"type":"object","additionalProperties":false,"required":["allocationId"],
       "properties":{"allocationId":{"type":"string","minLength":3,"maxLength":160}}}""");

  private final Spectrum spectrum;
  private final io.troupe.runtime.governance.security.Users users;
  private final WriteLimits limits;

  ReleaseAllocationTool(ActorSystem<?> system) {
    this.limits = new WriteLimits(system);
    this.spectrum = Spectrum.get(system);
    this.users = io.troupe.runtime.governance.security.Users.get(system);
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
    // Released for the session's owner: their own allocations only, unless they are an ADMIN.
    // Counted like DELETE /api/v1/allocations/{id}: a token of the deconfliction limit.
    return limits.take(context, EndpointClass.DECONFLICTION, "releasing allocation " + id)
        .thenCompose(allowed -> users.principal(SpectrumTools.owner(context)))
        .thenCompose(owner -> spectrum.release(id, owner))
        .thenApply(result -> {
          switch (result.outcome()) {
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
