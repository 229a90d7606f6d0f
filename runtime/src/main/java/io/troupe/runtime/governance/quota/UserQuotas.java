package io.troupe.runtime.governance.quota;

import io.troupe.runtime.CborSerializable;

/**
 * The quotas an administrator set for one user; a null field takes the default
 * ({@code troupe.quotas}). Held by the user's {@code ApiUser} entity.
 */
public record UserQuotas(Integer agents, Integer concurrentSessions, Integer sseStreams, Integer topics)
    implements CborSerializable {

  /** None set: every quota is the default. */
  public static final UserQuotas DEFAULTS = new UserQuotas(null, null, null, null);

  /** The quotas in force: each one set here, else the default. */
  public Quotas.Limits over(Quotas.Limits defaults) {
    return new Quotas.Limits(agents != null ? agents : defaults.agents(),
        concurrentSessions != null ? concurrentSessions : defaults.concurrentSessions(),
        sseStreams != null ? sseStreams : defaults.sseStreams(),
        topics != null ? topics : defaults.topics());
  }
}
