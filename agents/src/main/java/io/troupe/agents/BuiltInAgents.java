package io.troupe.agents;

import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.Agents;
import io.troupe.runtime.agent.AgentDefinition;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agents every Troupe cluster has: defined once the node is Up, if no definition exists (a
 * user's redefinition is never overwritten). Their model comes from troupe.agents ({@link io.troupe.agents.spectrum.SpectrumSettings}).
 */
public final class BuiltInAgents {

  private static final Logger log = LoggerFactory.getLogger(BuiltInAgents.class);
  public static final String SPECTRUM_MANAGER = "spectrum-manager";

  private BuiltInAgents() {}

  public static AgentDefinition spectrumManager(String provider, String model) {
    return new AgentDefinition("Electromagnetic Spectrum Manager",
        "You are the Electromagnetic Spectrum Manager of a theater. Assets ask you for frequencies. "
            + "Use get_spectrum_plan to see what is in use, request_deconfliction to request an allocation "
            + "(when it is DENIED or in CONFLICT, consider the alternatives it offers and request one of them), "
            + "and release_allocation when an asset no longer needs its frequency. Answer with the allocation "
            + "you obtained, or why none could be obtained.",
        provider, model, 0.0, AgentDefinition.DEFAULT_MAX_ITERATIONS,
        AgentDefinition.DEFAULT_TOOL_TIMEOUT_SECONDS,
        List.of("get_spectrum_plan", "request_deconfliction", "release_allocation", "publish_to_topic"),
        List.of(), List.of());
  }

  /** Defines the built-in agents that are not defined yet, once this node is Up. */
  public static void defineWhenUp(ActorSystem<?> system) {
    var settings = io.troupe.agents.spectrum.SpectrumSettings.get(system);
    AgentDefinition definition = spectrumManager(settings.spectrumManagerProvider(), settings.spectrumManagerModel());
    // Configured names: their metric labels never fall into "other", whatever users define first.
    var metrics = io.troupe.runtime.agent.SessionMetrics.get(system);
    metrics.agentLabel.admitKnown(List.of(SPECTRUM_MANAGER));
    metrics.modelLabel.admitKnown(List.of(settings.spectrumManagerModel()));
    org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system))
        .registerOnMemberUp(() -> define(system, definition, 1));
  }

  private static final int ATTEMPTS = 6;

  /** Tries again (bounded, backing off) when the cluster is too busy to answer in time. */
  private static void define(ActorSystem<?> system, AgentDefinition definition, int attempt) {
    Agents agents = Agents.get(system);
    agents.get(SPECTRUM_MANAGER)
        // Defined only when it is not there (a redefinition by a user stays); any other failure is tried again.
        .handle((found, failure) -> failure == null ? java.util.concurrent.CompletableFuture.completedFuture(found)
            : unwrap(failure) instanceof io.troupe.runtime.service.Refused ? agents.define(SPECTRUM_MANAGER, definition)
            : java.util.concurrent.CompletableFuture.<Agent.AgentView>failedFuture(failure))
        .thenCompose(next -> next)
        .whenComplete((done, error) -> {
          if (error == null) {
            return;
          }
          if (attempt >= ATTEMPTS) {
            log.warn("Could not define the built-in agent {} after {} attempts: {}", SPECTRUM_MANAGER, attempt,
                error.getMessage());
            return;
          }
          system.scheduler().scheduleOnce(Duration.ofSeconds(2L * attempt),
              () -> define(system, definition, attempt + 1), system.executionContext());
        });
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
  }
}
