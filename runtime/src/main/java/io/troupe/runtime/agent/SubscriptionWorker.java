package io.troupe.runtime.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.client.Gauge;
import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.broker.BrokerMetrics;
import io.troupe.runtime.broker.Subscriber;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.broker.TopicLog;
import io.troupe.runtime.broker.Topics;
import io.troupe.runtime.governance.quota.Quotas;
import io.troupe.runtime.service.Refused;
import java.util.concurrent.atomic.AtomicBoolean;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one topic to one subscribing agent: every message starts a session of the agent whose
 * input is the message. One sharded worker per (agent, topic), with remember-entities, so it runs
 * somewhere in the cluster at all times, also after a full restart.
 *
 * <p>Each session is started through {@link Sessions}, so it belongs to (and is charged to) the
 * user who published the message, and passes that user's budget (at each model call), session
 * quota and model_running rate limit like any other start. A start those refuse for now (429) is
 * tried again after its Retry-After, and the messages behind it wait: order is kept and nothing is
 * acknowledged that has not started ({@code troupe_broker_deliveries_deferred_total} counts these).
 * At most {@code troupe.sessions.max-concurrent-per-subscriber-agent} sessions started this way
 * run at once per agent (cluster-wide, over all its topics); later messages wait for one to end. Its position is a named {@link Subscriber} ("agent.{name}") of
 * the topic. A message's session id is derived from the message, and the offset is acknowledged only once the session
 * has been journaled as started: after a crash the message is delivered again, finds its session
 * already started, and is acknowledged; none is skipped, none starts two sessions.
 */
public final class SubscriptionWorker {

  private static final Logger log = LoggerFactory.getLogger(SubscriptionWorker.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "AgentSubscription");

  public static void init(ActorSystem<?> system, TopicLog topicLog) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), ctx.getShard(), topicLog))
        .withSettings(ClusterShardingSettings.create(system).withRememberEntities(true)));
  }

  public static String entityId(String agent, String topic) {
    return agent + "/" + topic;
  }

  public static String subscriberName(String agent) {
    return "agent." + agent;
  }

  public sealed interface Command extends CborSerializable {}

  /** Makes sure the worker runs (any message starts it; this one does nothing else). */
  public record Ensure() implements Command {}

  /** The agent no longer subscribes: stop, and leave the remembered set. */
  public record Stop() implements Command {}

  private SubscriptionWorker() {}

  static Behavior<Command> create(String entityId, ActorRef<ClusterSharding.ShardCommand> shard, TopicLog topicLog) {
    return Behaviors.setup(ctx -> {
      int slash = entityId.indexOf('/');
      String agent = entityId.substring(0, slash);
      String topic = entityId.substring(slash + 1);
      ActorSystem<?> system = ctx.getSystem();
      String subscriber = subscriberName(agent);
      LagShare lag = new LagShare(BrokerMetrics.get(system).brokerSubscriberLag);
      Sessions sessions = Sessions.get(system);
      Topics topics = Topics.get(system);
      Quotas quotas = Quotas.get(system);
      BrokerMetrics metrics = BrokerMetrics.get(system);
      AtomicBoolean stopped = new AtomicBoolean();

      // Restarted with backoff on any failure (a node leaving, the database away): it resumes
      // from the acknowledged position, and redelivery is harmless (see class doc).
      Source<Done, ?> deliveries = RestartSource.withBackoff(
          RestartSettings.create(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2),
          () -> Source.completionStage(topics.position(topic, subscriber))
              .flatMapConcat(position -> topicLog.follow(topic, OptionalLong.of(position.nextOffset())))
              .mapAsync(1, message -> deliver(topics, agent, topic, subscriber, message, ctx.getSelf(), lag, sessions,
                  quotas, metrics, stopped, system)));
      UniqueKillSwitch killSwitch = deliveries
          .viaMat(KillSwitches.single(), Keep.right())
          .toMat(Sink.ignore(), Keep.left())
          .run(system);

      return Behaviors.receive(Command.class)
          .onMessage(Ensure.class, e -> Behaviors.same())
          .onMessage(Stop.class, s -> {
            shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
            return Behaviors.same();
          })
          .onSignal(PostStop.class, signal -> {
            stopped.set(true);
            killSwitch.shutdown();
            lag.stop();
            return Behaviors.same();
          })
          .build();
    });
  }

  /** The longest a refused start waits before it is tried again, whatever Retry-After said. */
  private static final Duration MAX_RETRY_WAIT = Duration.ofSeconds(10);

  /**
   * Starts the message's session and acknowledges it, in the subscription's order: first one of
   * the agent's fan-out slots (waiting until a session started this way ends), then the start
   * through {@link Sessions}, retried after a while while the publisher's rate limit or session
   * quota refuses it. Nothing is acknowledged before its session started.
   */
  private static CompletionStage<Done> deliver(Topics topics, String agent, String topic, String subscriber,
                                               Topic.MessagePublished message, ActorRef<Command> self, LagShare lag,
                                               Sessions sessions, Quotas quotas, BrokerMetrics metrics,
                                               AtomicBoolean stopped, ActorSystem<?> system) {
    Sessions.Origin origin = new Sessions.Origin.Message(topic, message);
    String sessionId = Sessions.sessionId(agent, origin, null);
    return fanOutSlot(quotas, agent, sessionId, stopped, system, 0)
        .thenCompose(slot -> start(sessions, agent, topic, message, origin, metrics, stopped, system, 0))
        .handle((started, failure) -> {
          if (unwrap(failure) instanceof Refused) {
            // Unknown, retired or no longer subscribed: stop, and leave the message unacknowledged
            // for a future subscription.
            quotas.releaseSubscriberSlot(agent, sessionId);
            self.tell(new Stop());
            return new CompletableFuture<Sessions.Started>(); // never completes: the stream stops with the worker
          }
          return failure == null ? CompletableFuture.completedFuture(started)
              : CompletableFuture.<Sessions.Started>failedFuture(failure);
        })
        .thenCompose(started -> started)
        .thenCompose(started -> topics.ackDelivered(topic, subscriber, message.offset())
            .thenApply(acked -> started))
        // The topic's last offset gives the lag behind it once acknowledged.
        .thenCompose(started -> topics.info(topic).handle((i, failed) -> {
          if (i != null) {
            lag.set(Math.max(0, i.lastOffset() - message.offset()));
          }
          return started;
        }))
        .thenApply(started -> {
          log.debug("Topic {} offset {} started session {} of agent {}", topic, message.offset(), started.sessionId(), agent);
          return Done.getInstance();
        });
  }

  /** Waits (polling, from 50 ms up to 1 s apart) until the agent has a fan-out slot for this session. */
  private static CompletionStage<Boolean> fanOutSlot(Quotas quotas, String agent, String sessionId, AtomicBoolean stopped,
                                                     ActorSystem<?> system, int attempt) {
    return quotas.takeSubscriberSlot(agent, sessionId).thenCompose(granted -> {
      if (granted) {
        return CompletableFuture.completedFuture(true);
      }
      return later(Duration.ofMillis(Math.min(1000, 50L << Math.min(attempt, 5))), stopped, system,
          () -> fanOutSlot(quotas, agent, sessionId, stopped, system, attempt + 1));
    });
  }

  /** Starts the session; a refusal that passes by itself (429: rate limit, quota) is tried again after its Retry-After. */
  private static CompletionStage<Sessions.Started> start(Sessions sessions, String agent, String topic,
                                                         Topic.MessagePublished message, Sessions.Origin origin,
                                                         BrokerMetrics metrics, AtomicBoolean stopped,
                                                         ActorSystem<?> system, int attempt) {
    return sessions.start(agent, input(topic, message), origin).handle((started, failure) -> {
      if (failure == null) {
        return CompletableFuture.completedFuture(started);
      }
      if (unwrap(failure) instanceof Refused r && r.reason() == Refused.Reason.TOO_MANY) {
        boolean quota = r.getMessage().startsWith("quota");
        metrics.brokerDeliveriesDeferred.labels(quota ? "concurrent_sessions" : "rate_limited").inc();
        if (attempt == 0) {
          log.info("Topic {} offset {} waits to start a session of agent {}: {}", topic, message.offset(), agent,
              r.getMessage());
        }
        Duration wait = Duration.ofSeconds(r.retryAfterSeconds());
        return later(wait.compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT : wait, stopped, system,
            () -> start(sessions, agent, topic, message, origin, metrics, stopped, system, attempt + 1));
      }
      return CompletableFuture.<Sessions.Started>failedFuture(failure);
    }).thenCompose(next -> next);
  }

  /** {@code next} after {@code delay}, unless the worker stopped meanwhile (then never: the stream is gone). */
  private static <T> CompletionStage<T> later(Duration delay, AtomicBoolean stopped, ActorSystem<?> system,
                                              java.util.function.Supplier<CompletionStage<T>> next) {
    CompletableFuture<T> result = new CompletableFuture<>();
    system.scheduler().scheduleOnce(delay, () -> {
      if (!stopped.get()) {
        next.get().whenComplete((value, failure) -> {
          if (failure != null) {
            result.completeExceptionally(failure);
          } else {
            result.complete(value);
          }
        });
      }
    }, system.executionContext());
    return result;
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** This worker's part of the node's subscriber-lag gauge: set on each acknowledgement, withdrawn on stop. */
  private static final class LagShare {
    private final Gauge gauge;
    private long current;
    private boolean stopped;

    LagShare(Gauge gauge) {
      this.gauge = gauge;
    }

    synchronized void set(long lag) {
      if (!stopped) {
        gauge.inc(lag - current);
        current = lag;
      }
    }

    synchronized void stop() {
      stopped = true;
      gauge.dec(current);
      current = 0;
    }
  }

  /** The session's input: the message as JSON, so the model sees where it came from. */
  static String input(String topic, Topic.MessagePublished m) {
    ObjectNode node = JSON.createObjectNode();
    node.put("topic", topic).put("offset", m.offset()).put("sender", m.sender()).put("messageType", m.messageType());
    if (m.recipient() != null) {
      node.put("recipient", m.recipient());
    }
    try {
      node.set("content", JSON.readTree(m.contentJson()));
    } catch (java.io.IOException e) {
      node.put("content", m.contentJson());
    }
    return node.toString();
  }
}
