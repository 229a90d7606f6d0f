package io.troupe.runtime.governance.quota;

import io.troupe.runtime.governance.security.ApiUser;
import io.troupe.runtime.service.Refused;
import io.troupe.runtime.service.RetryingAsk;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Per-user quotas, for every door: what a user may hold at once (agents defined, sessions running,
 * SSE streams open, topics created). Each is the user's own, set by an administrator
 * ({@code Users.setQuotas}), or the default of {@code troupe.quotas}. A refusal names the quota
 * and its value.
 */
public final class Quotas implements Extension {

  /** Quota names as the API spells them (body of PUT .../quotas, refusals). */
  public static final String AGENTS = "agents";
  public static final String CONCURRENT_SESSIONS = "concurrentSessions";
  public static final String SSE_STREAMS = "sseStreams";
  public static final String TOPICS = "topics";

  /** The quotas in force for one user. */
  public record Limits(int agents, int concurrentSessions, int sseStreams, int topics) {}

  private final QuotaSettings settings;
  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final java.time.Duration askTimeout;

  public static Quotas get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Quotas(ActorSystem<?> system) {
    var runtime = io.troupe.runtime.node.RuntimeSettings.get(system);
    this.settings = runtime.quotas();
    this.sharding = ClusterSharding.get(system);
    this.asks = runtime.ask().retrying();
    this.askTimeout = runtime.ask().timeout();
  }

  public QuotaSettings settings() {
    return settings;
  }

  /** The user's quotas in force; a user that does not exist (the anonymous owner) has the defaults. */
  public CompletionStage<Limits> of(String userId) {
    return asks.<ApiUser.Command, ApiUser.UserLookup>ask(sharding.entityRefFor(ApiUser.ENTITY_KEY, userId),
        ApiUser.Get::new).thenApply(lookup -> lookup.user() == null || lookup.user().quotas() == null
            ? settings.defaults() : lookup.user().quotas().over(settings.defaults()));
  }

  /**
   * Takes one of {@code owner}'s concurrent-session slots for {@code sessionId} (the same id again:
   * the same slot); refused (429) when the user's {@code concurrentSessions} quota is taken.
   */
  public CompletionStage<Void> takeSessionSlot(String owner, String sessionId) {
    return of(owner).thenCompose(limits -> slots(owner).<SessionSlots.Acquired>ask(
            r -> new SessionSlots.Acquire(sessionId, limits.concurrentSessions(), r), askTimeout)
        .thenAccept(acquired -> {
          if (!acquired.granted()) {
            throw Refused.tooMany("quota exceeded: user " + owner + " already runs " + acquired.running()
                + " sessions, its " + CONCURRENT_SESSIONS + " quota is " + limits.concurrentSessions()
                + "; start more when some have ended", 5);
          }
        }));
  }

  /** Frees the slot of a session whose start failed. */
  public void releaseSessionSlot(String owner, String sessionId) {
    slots(owner).tell(new SessionSlots.Release(sessionId));
  }

  /**
   * Takes one of the subscribing agent's fan-out slots for {@code sessionId}
   * ({@code troupe.sessions.max-concurrent-per-subscriber-agent}); answers false when all are taken.
   */
  public CompletionStage<Boolean> takeSubscriberSlot(String agent, String sessionId) {
    return slots(AGENT_SLOTS + agent).<SessionSlots.Acquired>ask(
            r -> new SessionSlots.Acquire(sessionId, settings.maxConcurrentPerSubscriberAgent(), r), askTimeout)
        .thenApply(SessionSlots.Acquired::granted);
  }

  /** Frees a fan-out slot whose session will not start. */
  public void releaseSubscriberSlot(String agent, String sessionId) {
    slots(AGENT_SLOTS + agent).tell(new SessionSlots.Release(sessionId));
  }

  /** Slot holders of subscribing agents: user ids never hold a ':'. */
  private static final String AGENT_SLOTS = "agent:";

  /**
   * Refused (403) when {@code owner} already owns as many agents (not retired) as their
   * {@code agents} quota allows. Counted from the {@code agent} read table, which trails
   * definitions by about a second.
   */
  public CompletionStage<Void> roomForAgent(String owner) {
    return of(owner).thenCombine(agentsOwned(owner), (limits, owned) -> {
      if (owned != null && owned >= limits.agents()) {
        throw Refused.forbidden("quota exceeded: user " + owner + " owns " + owned + " agents, its " + AGENTS
            + " quota is " + limits.agents() + "; retire one first");
      }
      return null;
    });
  }

  /** Agents the user owns and has not retired (null when this node does not count them). */
  public CompletionStage<Integer> agentsOwned(String owner) {
    var counter = agentCounter;
    return counter == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : counter.apply(owner);
  }

  /** How agents are counted: the node wires the read table's count in at start. */
  public void countAgentsWith(java.util.function.Function<String, CompletionStage<Integer>> counter) {
    this.agentCounter = counter;
  }

  private volatile java.util.function.Function<String, CompletionStage<Integer>> agentCounter;

  /**
   * Records that {@code owner} creates {@code topic} (publishes its first message); refused (403)
   * when they created as many topics as their {@code topics} quota allows. The same topic again
   * counts once. A publisher that is no API user (messages of old sessions) is not counted.
   */
  public CompletionStage<Void> claimTopic(String owner, String topic) {
    return of(owner).thenCompose(limits -> asks.<ApiUser.Command, Integer>askWithStatus(
        sharding.entityRefFor(ApiUser.ENTITY_KEY, owner), r -> new ApiUser.ClaimTopic(topic, limits.topics(), r))
        .handle((count, failure) -> {
          if (failure != null) {
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
            if (cause instanceof org.apache.pekko.pattern.StatusReply.ErrorMessage refused) {
              throw Refused.forbidden(refused.getMessage());
            }
            throw new java.util.concurrent.CompletionException(cause);
          }
          return null;
        }));
  }

  /** Sessions of the user running now, as the slots count them. */
  public CompletionStage<Integer> runningSessions(String owner) {
    return slots(owner).<SessionSlots.Acquired>ask(SessionSlots.Count::new, askTimeout)
        .thenApply(SessionSlots.Acquired::running);
  }

  private EntityRef<SessionSlots.Command> slots(String owner) {
    return sharding.entityRefFor(SessionSlots.ENTITY_KEY, owner);
  }

  /** Extension id: one service per ActorSystem. */
  public static final class Id extends ExtensionId<Quotas> {
    private static final Id INSTANCE = new Id();

    @Override
    public Quotas createExtension(ActorSystem<?> system) {
      return new Quotas(system);
    }
  }
}
