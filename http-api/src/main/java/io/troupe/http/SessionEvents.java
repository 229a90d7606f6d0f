package io.troupe.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.journal.JournalFollower;
import io.troupe.runtime.journal.Sequenced;
import io.troupe.runtime.node.TroupeNode;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A session's events as SSE: start, token, tool_start, tool_end, metadata, resumed, done, error
 * (a parked session's last event is an error with status FAILED_RECOVERY).
 */
final class SessionEvents {

  private static final int TOKEN_BUFFER = 1024;
  private final ActorSystem<?> system;
  private final JournalFollower follower;
  private final org.apache.pekko.actor.ActorRef mediator;

  SessionEvents(TroupeNode node) {
    this.system = node.system();
    this.follower = node.follower();
    this.mediator = DistributedPubSub.get(Adapter.toClassic(system)).mediator();
  }

  /** Stored events from {@code from}, then (unless the session already ended) live ones with tokens. */
  Source<ServerSentEvent, NotUsed> stream(String sessionId, OptionalLong from, boolean finished) {
    String pid = PersistenceId.of(Session.ENTITY_KEY.name(), sessionId).id();
    Source<Sequenced<Session.Event>, NotUsed> events = finished
        ? follower.range(pid, from.orElse(1), Long.MAX_VALUE)
        : follower.<Session.Event>follow(pid, Session.liveFeed(sessionId), from,
                msg -> msg instanceof Session.Announced a && a.event() != null
                    ? Optional.of(new Sequenced<>(a.seqNr(), a.event())) : Optional.empty())
            .takeWhile(s -> !terminal(s.event()), true);
    Source<ServerSentEvent, NotUsed> sse = events.map(SessionEvents::toSse);
    if (finished) {
      return sse;
    }
    // Tokens are not journaled: live only, merged in; the stream ends with the event stream.
    return sse.merge(tokens(sessionId), true);
  }

  private Source<ServerSentEvent, NotUsed> tokens(String sessionId) {
    return Source.lazySource(() -> {
      Pair<org.apache.pekko.actor.ActorRef, Source<Object, NotUsed>> live =
          Source.<Object>actorRef(m -> Optional.empty(), m -> Optional.empty(), TOKEN_BUFFER, OverflowStrategy.dropHead())
              .preMaterialize(system);
      mediator.tell(new DistributedPubSubMediator.Subscribe(Session.liveFeed(sessionId), live.first()),
          org.apache.pekko.actor.ActorRef.noSender());
      return live.second()
          .collectType(Session.Announced.class)
          .filter(a -> a.token() != null)
          .map(a -> ServerSentEvent.create(data(Json.MAPPER.createObjectNode().put("text", a.token())), "token"))
          .watchTermination((mat, done) -> {
            done.whenComplete((d, e) -> live.first().tell(
                new org.apache.pekko.actor.Status.Success(NotUsed.getInstance()), org.apache.pekko.actor.ActorRef.noSender()));
            return mat;
          });
    }).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /** Nothing follows these but, for a parked session, a cancel: a stream ends there. */
  static boolean terminal(Session.Event e) {
    return e instanceof Session.SessionCompleted || e instanceof Session.SessionFailed
        || e instanceof Session.SessionCancelled || e instanceof Session.SessionParked;
  }

  static ServerSentEvent toSse(Sequenced<Session.Event> s) {
    Session.Event e = s.event();
    ObjectNode d = Json.MAPPER.createObjectNode();
    String type;
    if (e instanceof Session.SessionStarted x) {
      type = "start";
      d.put("agentName", x.agentName()).put("input", x.input()).put("startedAt", x.startedAt().toString());
    } else if (e instanceof Session.LlmResponded x) {
      type = "metadata";
      d.put("iteration", x.iteration()).put("text", x.text()).put("inputTokens", x.usage().inputTokens())
          .put("outputTokens", x.usage().outputTokens()).put("cached", x.cached()).put("durationMillis", x.durationMillis());
      d.set("toolCalls", Json.MAPPER.valueToTree(x.toolCalls()));
    } else if (e instanceof Session.ToolCallStarted x) {
      type = "tool_start";
      d.put("callId", x.callId()).put("name", x.name()).put("arguments", x.argumentsJson());
    } else if (e instanceof Session.ToolCallCompleted x) {
      type = "tool_end";
      d.put("callId", x.callId()).put("name", x.name()).put("ok", x.ok()).put("result", x.result())
          .put("error", x.error()).put("durationMillis", x.durationMillis());
    } else if (e instanceof Session.SessionCompleted x) {
      type = "done";
      d.put("status", "COMPLETED").put("output", x.output());
    } else if (e instanceof Session.SessionFailed x) {
      type = "error";
      d.put("status", io.troupe.runtime.agent.SessionState.Status.of(x).name()).put("error", x.reason());
    } else if (e instanceof Session.SessionResumed x) {
      type = "resumed";
      d.put("attempt", x.attempt()).put("at", x.at().toString());
    } else if (e instanceof Session.SessionParked x) {
      type = "error";
      d.put("status", "FAILED_RECOVERY").put("error", x.reason());
    } else {
      type = "error";
      d.put("status", "CANCELLED").put("error", "cancelled");
    }
    d.put("seq", s.seqNr());
    return ServerSentEvent.create(data(d), type, Long.toString(s.seqNr()));
  }

  private static String data(ObjectNode node) {
    return node.toString();
  }

}
