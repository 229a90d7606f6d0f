package io.troupe.runtime.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.client.Gauge;
import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.broker.Subscriber;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.broker.TopicLog;
import io.troupe.runtime.broker.Topics;
import io.troupe.runtime.service.Refused;
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
 * user who published the message. Its position is a named {@link Subscriber} ("agent.{name}") of
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
      LagShare lag = new LagShare(io.troupe.runtime.broker.BrokerMetrics.get(system).brokerSubscriberLag);
      Sessions sessions = Sessions.get(system);
      Topics topics = Topics.get(system);

      // Restarted with backoff on any failure (a node leaving, the database away): it resumes
      // from the acknowledged position, and redelivery is harmless (see class doc).
      Source<Done, ?> deliveries = RestartSource.withBackoff(
          RestartSettings.create(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2),
          () -> Source.completionStage(topics.position(topic, subscriber))
              .flatMapConcat(position -> topicLog.follow(topic, OptionalLong.of(position.nextOffset())))
              .mapAsync(1, message -> deliver(topics, agent, topic, subscriber, message, ctx.getSelf(), lag, sessions)));
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
            killSwitch.shutdown();
            lag.stop();
            return Behaviors.same();
          })
          .build();
    });
  }

  private static CompletionStage<Done> deliver(Topics topics, String agent, String topic, String subscriber,
                                               Topic.MessagePublished message, ActorRef<Command> self, LagShare lag,
                                               Sessions sessions) {
    // The topic's last offset, asked alongside the delivery, gives the lag behind it once acknowledged.
    CompletionStage<Topic.Info> info = topics.info(topic);
    return sessions.start(agent, input(topic, message), new Sessions.Origin.Message(topic, message))
        .handle((started, failure) -> {
          if (unwrap(failure) instanceof Refused) {
            // Unknown, retired or no longer subscribed: stop, and leave the message unacknowledged
            // for a future subscription.
            self.tell(new Stop());
            return new CompletableFuture<Sessions.Started>(); // never completes: the stream stops with the worker
          }
          return failure == null ? CompletableFuture.completedFuture(started)
              : CompletableFuture.<Sessions.Started>failedFuture(failure);
        })
        .thenCompose(started -> started)
        .thenCompose(started -> topics.ackDelivered(topic, subscriber, message.offset())
            .thenApply(acked -> started))
        .thenCompose(started -> info.handle((i, failed) -> {
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
