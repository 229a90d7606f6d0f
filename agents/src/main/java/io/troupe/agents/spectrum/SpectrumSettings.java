package io.troupe.agents.spectrum;

import com.typesafe.config.Config;
import io.troupe.runtime.node.ConfigChecks;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The agents module's settings, read once per ActorSystem (defaults and comments in the agents
 * module's reference.conf): {@code SpectrumSettings.get(system)}.
 *
 * @param coordinator             the deconfliction coordinator's (troupe.deconfliction)
 * @param defaultListLimit        page size of GET /api/v1/allocations when none is asked for
 * @param maxListLimit            the largest page allowed
 * @param spectrumManagerProvider the built-in spectrum-manager agent's model provider (troupe.agents.spectrum-manager)
 * @param spectrumManagerModel    ...and model
 */
public record SpectrumSettings(DeconflictionCoordinator.Settings coordinator, int defaultListLimit, int maxListLimit,
                               String spectrumManagerProvider, String spectrumManagerModel) implements Extension {

  public static SpectrumSettings get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public static SpectrumSettings from(Config config) {
    return new SpectrumSettings(
        new DeconflictionCoordinator.Settings(ModelConstants.from(config.getConfig("troupe.deconfliction.model")),
            ConfigChecks.positiveInt(config, "troupe.deconfliction.snapshot-every"),
            ConfigChecks.atLeast(config, "troupe.deconfliction.ended-allocations-kept", 0),
            ConfigChecks.positiveInt(config, "troupe.deconfliction.max-pending-approvals"),
            ConfigChecks.positiveDuration(config, "troupe.deconfliction.pending-approval-timeout")),
        ConfigChecks.positiveInt(config, "troupe.deconfliction.default-list-limit"),
        ConfigChecks.positiveInt(config, "troupe.deconfliction.max-list-limit"),
        config.getString("troupe.agents.spectrum-manager.provider"),
        config.getString("troupe.agents.spectrum-manager.model"));
  }

  /** Extension id: one {@link SpectrumSettings} per ActorSystem. */
  public static final class Id extends ExtensionId<SpectrumSettings> {
    private static final Id INSTANCE = new Id();

    @Override
    public SpectrumSettings createExtension(ActorSystem<?> system) {
      return from(system.settings().config());
    }
  }
}
