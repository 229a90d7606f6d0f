package io.troupe.agents.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.agents.spectrum.AllocationRequest;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.agents.spectrum.Emission;
import io.troupe.agents.spectrum.Priority;
import io.troupe.agents.spectrum.Spectrum;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import io.troupe.runtime.tool.ToolException;
import io.troupe.runtime.tool.WriteLimits;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * {@code request_deconfliction}: asks a theater's coordinator for a frequency allocation, with
 * the same fields and limits as POST /api/v1/deconfliction/requests, and returns its decision.
 * Exactly once per call: the call id is the request's key (see {@link AllocationRequest}).
 */
final class RequestDeconflictionTool implements Tool {

  private static final JsonNode PARAMETERS = SpectrumTools.schema("""
      {"type":"object","additionalProperties":false,
       "required":["assetRid","frequencyMhz","bandwidthKhz","powerDbm","latitude","longitude","durationMinutes"],
       "properties":{
         "assetRid":{"type":"string","minLength":1,"maxLength":255},
         "frequencyMhz":{"type":"number","exclusiveMinimum":0,"maximum":300000},
         "bandwidthKhz":{"type":"number","exclusiveMinimum":0,"maximum":1000000},
         "powerDbm":{"type":"number","minimum":-50,"maximum":90},
         "latitude":{"type":"number","minimum":-90,"maximum":90},
         "longitude":{"type":"number","minimum":-180,"maximum":180},
         "antennaHeightM":{"type":"number","minimum":0},
         "durationMinutes":{"type":"number","exclusiveMinimum":0,"maximum":43200},
         "priority":{"type":"string","enum":["ROUTINE","PRIORITY","IMMEDIATE","FLASH"]},
         "purpose":{"type":"string","maxLength":1000},
         "theater":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,128}$"}}}""");

  private final Spectrum spectrum;
  private final io.troupe.runtime.governance.security.Users users;
  private final java.time.Clock clock;
  private final WriteLimits limits;

  RequestDeconflictionTool(ActorSystem<?> system) {
    this.limits = new WriteLimits(system);
    this.spectrum = Spectrum.get(system);
    this.users = io.troupe.runtime.governance.security.Users.get(system);
    this.clock = io.troupe.runtime.node.NodeClock.get(system).clock();
  }

  @Override
  public String name() {
    return "request_deconfliction";
  }

  @Override
  public String description() {
    return "Request a frequency allocation for an asset starting now. Returns the decision: APPROVED "
        + "(with allocationId), DENIED by Rules of Engagement, or CONFLICT, with conflicts and alternative frequencies; "
        + "or PENDING_APPROVAL when it would preempt others and the theater's rules need an administrator to approve "
        + "that (wouldPreempt lists them; nothing is allocated until then, and the alternatives are free now).";
  }

  @Override
  public JsonNode parameters() {
    return PARAMETERS;
  }

  @Override
  public CompletionStage<JsonNode> call(ToolContext context, JsonNode a) {
    Instant start = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Instant end = start.plusMillis(Math.round(a.get("durationMinutes").asDouble() * 60_000));
    if (!end.isAfter(start)) {
      return CompletableFuture.failedFuture(new ToolException("durationMinutes is too short"));
    }
    Emission emission = new Emission(a.get("frequencyMhz").asDouble(), a.get("bandwidthKhz").asDouble(),
        a.get("powerDbm").asDouble(), a.get("latitude").asDouble(), a.get("longitude").asDouble(),
        a.path("antennaHeightM").asDouble(10), start, end, Priority.valueOf(a.path("priority").asText("ROUTINE")));
    String purpose = a.hasNonNull("purpose") ? a.get("purpose").asText() : "requested by agent " + context.agentName();
    String theater = a.path("theater").asText(DeconflictionCoordinator.DEFAULT_THEATER);
    // The call id is the request key: a call re-run after a resume returns the first decision.
    AllocationRequest request = new AllocationRequest(a.get("assetRid").asText(), emission, purpose,
        "tool:" + context.callId());
    // Requested for the session's owner, with their rights (deconfliction:priority for IMMEDIATE/FLASH),
    // and counted like POST /api/v1/deconfliction/requests: a token of the deconfliction limit.
    return limits.take(context, EndpointClass.DECONFLICTION, "a deconfliction request")
        .thenCompose(allowed -> users.principal(SpectrumTools.owner(context)))
        .thenCompose(owner -> spectrum.request(theater, request, owner, context.timeout()))
        .thenApply(decision -> (JsonNode) SpectrumTools.JSON.valueToTree(decision));
  }
}
