package io.troupe.agents.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.agents.spectrum.Allocation;
import io.troupe.agents.spectrum.AllocationStatus;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.agents.spectrum.Spectrum;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/** {@code get_spectrum_plan}: the active allocations of a theater in a frequency range. */
final class SpectrumPlanTool implements Tool {

  private static final int MAX = 200;
  private static final JsonNode PARAMETERS = SpectrumTools.schema("""
      {"type":"object","additionalProperties":false,"required":["minMhz","maxMhz"],
       "properties":{
         "minMhz":{"type":"number","minimum":0,"maximum":300000},
         "maxMhz":{"type":"number","minimum":0,"maximum":300000},
         "theater":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,128}$"}}}""");

  private final Spectrum spectrum;

  SpectrumPlanTool(ActorSystem<?> system) {
    this.spectrum = Spectrum.get(system);
  }

  @Override
  public String name() {
    return "get_spectrum_plan";
  }

  @Override
  public String description() {
    return "List the active (APPROVED) frequency allocations of a theater whose band overlaps [minMhz, maxMhz], "
        + "in frequency order (at most " + MAX + ").";
  }

  @Override
  public JsonNode parameters() {
    return PARAMETERS;
  }

  @Override
  public CompletionStage<JsonNode> call(ToolContext context, JsonNode a) {
    double min = Math.min(a.get("minMhz").asDouble(), a.get("maxMhz").asDouble());
    double max = Math.max(a.get("minMhz").asDouble(), a.get("maxMhz").asDouble());
    String theater = a.path("theater").asText(DeconflictionCoordinator.DEFAULT_THEATER);
    return spectrum.allocations(theater, AllocationStatus.APPROVED, min, max, MAX)
        .thenApply(list -> {
          ObjectNode out = SpectrumTools.JSON.createObjectNode();
          out.put("theater", theater).put("truncated", list.truncated());
          ArrayNode allocations = out.putArray("allocations");
          for (Allocation x : list.allocations()) {
            allocations.addObject().put("allocationId", x.allocationId()).put("assetRid", x.assetRid())
                .put("frequencyMhz", x.emission().frequencyMhz()).put("bandwidthKhz", x.emission().bandwidthKhz())
                .put("powerDbm", x.emission().powerDbm()).put("priority", x.emission().priority().name())
                .put("endTime", x.emission().end().toString());
          }
          return out;
        });
  }
}
