package io.troupe.runtime.journal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.pattern.Patterns;

/**
 * One cluster pub-sub subscription per feed per node, shared by every local follower of it.
 *
 * <p>Every SSE stream used to subscribe to the cluster's pub-sub mediator itself: a topic actor
 * per subscriber, and a registry change gossiped to every node, for each stream opened and each
 * closed. Here the first follower of a feed on this node subscribes once (a small actor per
 * feed), later followers join that subscription locally, and the last one to leave ends it. A
 * join is acknowledged only once the shared subscription is in place, so a follower that reads
 * the journal after its join cannot miss an event between the two (see {@link JournalFollower}).
 * A follower is any actor; it leaves by stopping (it is watched).
 */
public final class LiveFeeds implements Extension {

  /** Join {@code feed} with {@code subscriber}; answered with {@link Joined} once it receives. */
  record Join(String feed, ActorRef subscriber) {}

  /** A join's acknowledgement. */
  public record Joined(String feed) {}

  private final ActorRef registry;

  public static LiveFeeds get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private LiveFeeds(ActorSystem<?> system) {
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    ActorRef mediator = DistributedPubSub.get(classic).mediator();
    // A system actor: a typed system (custom user guardian) refuses top-level classic ones.
    this.registry = ((ExtendedActorSystem) classic).systemActorOf(
        Props.create(Registry.class, () -> new Registry(mediator)), "live-feeds");
  }

  /** Makes {@code subscriber} receive every message published on {@code feed} from the completion on. */
  public CompletionStage<Object> join(String feed, ActorRef subscriber, Duration timeout) {
    return Patterns.ask(registry, new Join(feed, subscriber), timeout);
  }

  /** The feeds and their local followers; the only one that creates and stops feed actors. */
  private static final class Registry extends AbstractActor {
    private final ActorRef mediator;
    private final Map<String, ActorRef> feeds = new HashMap<>();
    private final Map<ActorRef, List<String>> joined = new HashMap<>();
    private final Map<String, Integer> followers = new HashMap<>();

    Registry(ActorRef mediator) {
      this.mediator = mediator;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(Join.class, join -> {
            ActorRef feed = feeds.computeIfAbsent(join.feed(), name -> getContext().actorOf(
                Props.create(Feed.class, () -> new Feed(name, mediator)), URLEncoder.encode(name, StandardCharsets.UTF_8)
                    + "-" + System.nanoTime()));
            if (!joined.containsKey(join.subscriber())) {
              getContext().watch(join.subscriber());
            }
            joined.computeIfAbsent(join.subscriber(), s -> new ArrayList<>()).add(join.feed());
            followers.merge(join.feed(), 1, Integer::sum);
            feed.forward(join, getContext());
          })
          .match(Terminated.class, t -> {
            for (String name : joined.getOrDefault(t.actor(), List.of())) {
              ActorRef feed = feeds.get(name);
              if (followers.merge(name, -1, Integer::sum) <= 0) {
                followers.remove(name);
                feeds.remove(name);
                getContext().stop(feed); // unsubscribes from the mediator
              } else {
                feed.tell(new Left(t.actor()), getSelf());
              }
            }
            joined.remove(t.actor());
          })
          .build();
    }
  }

  /** A follower that stopped. */
  private record Left(ActorRef subscriber) {}

  /** One feed's subscription and its local followers. */
  private static final class Feed extends AbstractActor {
    private final String name;
    private final ActorRef mediator;
    private final Set<ActorRef> subscribers = new HashSet<>();
    /** Who asked to join before the subscription was acknowledged (the asks' temporary actors). */
    private final List<ActorRef> unanswered = new ArrayList<>();
    private boolean subscribed;

    Feed(String name, ActorRef mediator) {
      this.name = name;
      this.mediator = mediator;
    }

    @Override
    public void preStart() {
      mediator.tell(new DistributedPubSubMediator.Subscribe(name, getSelf()), getSelf());
    }

    @Override
    public void postStop() {
      mediator.tell(new DistributedPubSubMediator.Unsubscribe(name, getSelf()), ActorRef.noSender());
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(Join.class, join -> {
            subscribers.add(join.subscriber());
            if (subscribed) {
              getSender().tell(new Joined(name), getSelf());
            } else {
              unanswered.add(getSender());
            }
          })
          .match(DistributedPubSubMediator.SubscribeAck.class, ack -> {
            subscribed = true;
            unanswered.forEach(r -> r.tell(new Joined(name), getSelf()));
            unanswered.clear();
          })
          .match(Left.class, left -> subscribers.remove(left.subscriber()))
          .matchAny(message -> subscribers.forEach(s -> s.tell(message, ActorRef.noSender())))
          .build();
    }
  }

  /** Extension id: one registry per ActorSystem. */
  public static final class Id extends ExtensionId<LiveFeeds> {
    private static final Id INSTANCE = new Id();

    @Override
    public LiveFeeds createExtension(ActorSystem<?> system) {
      return new LiveFeeds(system);
    }
  }
}
