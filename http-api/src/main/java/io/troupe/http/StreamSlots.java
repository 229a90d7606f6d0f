package io.troupe.http;

import io.troupe.runtime.broker.BrokerMetrics;
import io.troupe.runtime.broker.BrokerSettings;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.quota.Quotas;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The SSE streams (topic and session streams) open on this node, by API key and by user, so that
 * no one key or user can take every slot of the node: a stream needs a free slot of the node
 * ({@code troupe.broker.max-streams}, of which the last {@code admin-reserved-streams} only
 * administrators may take; 503 when none is left), of its key ({@code max-streams-per-key}; 429)
 * and of its user's {@code sseStreams} quota (429). Counted per node: streams are a node's
 * connections and memory.
 */
final class StreamSlots implements Extension {

  private final BrokerSettings settings;
  private final BrokerMetrics metrics;
  private final Map<String, Integer> byKey = new HashMap<>();
  private final Map<String, Integer> byUser = new HashMap<>();
  private int open;

  static StreamSlots get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private StreamSlots(ActorSystem<?> system) {
    this.settings = io.troupe.runtime.node.RuntimeSettings.get(system).broker();
    this.metrics = BrokerMetrics.get(system);
  }

  /**
   * Takes a slot for a stream of {@code caller}, whose {@code sseStreams} quota is {@code userQuota};
   * empty when taken (give it back with {@link #release}), else the problem that refuses it.
   */
  synchronized Optional<Problem> take(Principal caller, int userQuota) {
    int nodeLimit = caller.isAdmin() ? settings.maxStreams() : settings.maxStreams() - settings.adminStreams();
    if (open >= nodeLimit) {
      return Optional.of(Problem.of(StatusCodes.SERVICE_UNAVAILABLE, "this node already serves " + open
          + " streams" + (caller.isAdmin() ? "" : " (the last " + settings.adminStreams() + " of its "
          + settings.maxStreams() + " are kept for administrators)") + "; try another node or later"));
    }
    String key = keyOf(caller);
    int keyOpen = byKey.getOrDefault(key, 0);
    if (keyOpen >= settings.maxStreamsPerKey()) {
      return Optional.of(Problem.of(StatusCodes.TOO_MANY_REQUESTS, "this API key already has " + keyOpen
          + " streams open on this node, the most one key may (troupe.broker.max-streams-per-key = "
          + settings.maxStreamsPerKey() + "); close one first"));
    }
    int userOpen = byUser.getOrDefault(caller.userId(), 0);
    if (userOpen >= userQuota) {
      return Optional.of(Problem.of(StatusCodes.TOO_MANY_REQUESTS, "quota exceeded: user " + caller.userId()
          + " already has " + userOpen + " streams open on this node, its " + Quotas.SSE_STREAMS + " quota is "
          + userQuota + "; close one first"));
    }
    open++;
    byKey.merge(key, 1, Integer::sum);
    byUser.merge(caller.userId(), 1, Integer::sum);
    metrics.brokerLiveStreams.inc();
    return Optional.empty();
  }

  /** Gives back the slot a stream of {@code caller} took. */
  synchronized void release(Principal caller) {
    open--;
    byKey.computeIfPresent(keyOf(caller), (k, n) -> n > 1 ? n - 1 : null);
    byUser.computeIfPresent(caller.userId(), (u, n) -> n > 1 ? n - 1 : null);
    metrics.brokerLiveStreams.dec();
  }

  /** Streams the user has open on this node. */
  synchronized int openBy(String userId) {
    return byUser.getOrDefault(userId, 0);
  }

  private static String keyOf(Principal caller) {
    return caller.userId() + "." + caller.keyId();
  }

  /** Extension id: one {@link StreamSlots} per node. */
  static final class Id extends ExtensionId<StreamSlots> {
    private static final Id INSTANCE = new Id();

    @Override
    public StreamSlots createExtension(ActorSystem<?> system) {
      return new StreamSlots(system);
    }
  }
}
