package io.troupe.runtime.node;

import com.typesafe.config.Config;
import io.troupe.runtime.agent.SessionSettings;
import io.troupe.runtime.broker.BrokerSettings;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.governance.cost.CostSettings;
import io.troupe.runtime.governance.quota.QuotaSettings;
import io.troupe.runtime.governance.ratelimit.RateLimitSettings;
import io.troupe.runtime.governance.security.SecuritySettings;
import io.troupe.runtime.llm.LlmSettings;
import io.troupe.runtime.readside.ReadSideSettings;
import io.troupe.runtime.tool.ToolSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The runtime's settings, read once per ActorSystem from its configuration (defaults and comments
 * in the runtime's reference.conf): {@code RuntimeSettings.get(system).broker()}. Services,
 * entities and the edge take their settings from here; nothing else reads {@code troupe.*} keys.
 * {@link TroupeNode#start} reads them before anything starts, so a bad value stops the node at
 * once with the key's name. ({@link NodeSettings}, needed before the ActorSystem exists, is read
 * apart.)
 *
 * @param journalDatabase the database the node journals to (troupe.db.jdbc-url, set by the node at start)
 * @param quotas          per-user quota defaults (troupe.quotas) and the subscriber fan-out bound
 */
public record RuntimeSettings(AskSettings ask, BrokerSettings broker, SessionSettings sessions,
                              SecuritySettings security, CostSettings costs, RateLimitSettings rateLimits,
                              ReadSideSettings readSide, ToolSettings tools, LlmSettings llm,
                              DatabaseTarget journalDatabase, QuotaSettings quotas) implements Extension {

  public static RuntimeSettings get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public static RuntimeSettings from(Config config) {
    return new RuntimeSettings(AskSettings.from(config), BrokerSettings.from(config), SessionSettings.from(config),
        SecuritySettings.from(config), CostSettings.from(config), RateLimitSettings.from(config),
        ReadSideSettings.from(config), ToolSettings.from(config), LlmSettings.from(config),
        new DatabaseTarget(config.getString("troupe.db.jdbc-url"), config.getString("troupe.db.user"),
            config.getString("troupe.db.password")), QuotaSettings.from(config));
  }

  /** Extension id: one {@link RuntimeSettings} per ActorSystem. */
  public static final class Id extends ExtensionId<RuntimeSettings> {
    private static final Id INSTANCE = new Id();

    @Override
    public RuntimeSettings createExtension(ActorSystem<?> system) {
      return from(system.settings().config());
    }
  }
}
