package io.troupe.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.agent.Sessions;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.journal.JournalFollower;
import io.troupe.runtime.journal.Sequenced;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A session's events as SSE: start, token, tool_start, tool_end, metadata, resumed, done, error
 * (a parked session's last event is an error with status FAILED_RECOVERY); a conversation's turns
 * as turn_start and turn_end (its start is also turn 1's turn_start), message_queued, and
 * approvals as approval_required and approval_decided. A conversation's stream goes on across its
 * turns and ends with its done (closed) or error.
 *
 * <p>One stream costs one join of the session's live feed (events and tokens alike; the node's
 * streams of one session share one cluster pub-sub subscription, see LiveFeeds) and one read of
 * the session's journal, which serves the read check, the stored events and whether the session
 * still runs. The subscription is made first and the journal read after, so no event falls
 * between the two; a live event ahead of the next expected one (dropped from the bounded buffer,
 * or announced out of order while the session moved) makes the stream read the gap from the
 * journal. (It used to cost two subscriptions, three journal reads and a nested graph per stream:
 * most of the edge's CPU per session, see BENCHMARKS.md.)
 */
final class SessionEvents {

  private final ActorSystem<?> system;
  private final JournalFollower follower;
  private final Sessions sessions;
  private final io.troupe.runtime.journal.LiveFeeds feeds;
  private final int liveBuffer;

  SessionEvents(TroupeNode node) {
    this.system = node.system();
    this.follower = node.follower();
    this.sessions = Sessions.get(system);
    this.feeds = io.troupe.runtime.journal.LiveFeeds.get(system);
    this.liveBuffer = io.troupe.runtime.node.RuntimeSettings.get(system).broker().streamLiveBuffer();
  }

  /**
   * The stream of session {@code sessionId} for {@code caller} from event {@code from}: its stored
   * events, then (unless it has ended) live ones with tokens, up to and including its last event.
   * Fails as the read check does (404, 403) before anything is sent.
   */
  CompletionStage<Source<ServerSentEvent, NotUsed>> open(String sessionId, long from, Principal caller) {
    return join(sessionId).thenCompose(live -> sessions.journaled(sessionId, caller)
        .handle((journaled, error) -> {
          if (error != null) {
            live.leave();
            throw error instanceof CompletionException ce ? ce : new CompletionException(error);
          }
          return live.follow(journaled, from).mapConcat(Item::toSse);
        }));
  }

  /**
   * Joins the live feed of session {@code sessionId}: from the answer on, every event the session
   * journals and every token it streams is kept for {@link Live#follow}. A door that must see a
   * session from a change it makes (a start, a message) joins first, makes the change, then reads
   * the journal ({@link Sessions#journaled}) and follows; nothing can fall in between.
   */
  CompletionStage<Live> join(String sessionId) {
    Pair<org.apache.pekko.actor.ActorRef, Source<Object, NotUsed>> buffer =
        Source.<Object>actorRef(m -> Optional.empty(), m -> Optional.empty(), liveBuffer, OverflowStrategy.dropHead())
            .preMaterialize(system);
    Live live = new Live(sessionId, buffer);
    return feeds.join(Session.liveFeed(sessionId), buffer.first(), Duration.ofSeconds(5)).handle((ack, error) -> {
      if (error != null) {
        live.leave();
        throw error instanceof CompletionException ce ? ce : new CompletionException(error);
      }
      return live;
    });
  }

  /** A joined live feed: follow it once, or leave it. */
  final class Live {
    private final String sessionId;
    private final Pair<org.apache.pekko.actor.ActorRef, Source<Object, NotUsed>> buffer;

    private Live(String sessionId, Pair<org.apache.pekko.actor.ActorRef, Source<Object, NotUsed>> buffer) {
      this.sessionId = sessionId;
      this.buffer = buffer;
    }

    /**
     * The session's events from {@code from} as {@code journaled} (read after the join) holds them,
     * then live ones and tokens, in sequence order without gaps or repeats, up to and including the
     * session's last event; the feed is left when the stream ends.
     */
    Source<Item, NotUsed> follow(Sessions.Journaled journaled, long from) {
      List<Item> stored = new ArrayList<>();
      for (Sequenced<Session.Event> e : journaled.events()) {
        if (e.seqNr() >= from) {
          stored.add(new Item(e, null));
        }
      }
      if (journaled.finished()) {
        leave();
        return Source.from(stored);
      }
      return follow(stored, from);
    }

    /**
     * The session's events from {@code from} on, as they are journaled (a gap read from the
     * journal), and its tokens, up to and including its last event: for a session known to go on,
     * whose events before {@code from} were journaled before the join.
     */
    Source<Item, NotUsed> follow(long from) {
      return follow(List.of(), from);
    }

    private Source<Item, NotUsed> follow(List<Item> stored, long from) {
      String pid = PersistenceId.of(Session.ENTITY_KEY.name(), sessionId).id();
      Source<Item, NotUsed> live = buffer.second().mapConcat(SessionEvents::items);
      return Source.from(stored).concat(live)
          .statefulMapConcat(() -> new InOrder(from))
          .mapAsync(1, step -> step.fillTo() == 0
              ? CompletableFuture.completedFuture(List.of(step.item()))
              : follower.<Session.Event>range(pid, step.fillFrom(), step.fillTo()).map(e -> new Item(e, null))
                  .runWith(Sink.seq(), system))
          .mapConcat(items -> items)
          .takeWhile(item -> item.event() == null || !terminal(item.event().event()), true)
          .watchTermination((mat, done) -> {
            done.whenComplete((d, e) -> stop(buffer));
            return mat;
          });
    }

    /** Leaves the feed without following it. */
    void leave() {
      stop(buffer);
      buffer.second().runWith(Sink.ignore(), system); // never followed: let it end
    }
  }

  /** Completes the live buffer, which stops its actor and so unsubscribes it from the feed. */
  private void stop(Pair<org.apache.pekko.actor.ActorRef, Source<Object, NotUsed>> buffer) {
    buffer.first().tell(new org.apache.pekko.actor.Status.Success(NotUsed.getInstance()),
        org.apache.pekko.actor.ActorRef.noSender());
  }

  /** An event with its sequence number, or a live token (then {@code event} is null). */
  record Item(Sequenced<Session.Event> event, String token) {
    List<ServerSentEvent> toSse() {
      return event != null ? SessionEvents.toSse(event)
          : List.of(ServerSentEvent.create(Json.MAPPER.createObjectNode().put("text", token).toString(), "token"));
    }
  }

  private static List<Item> items(Object message) {
    if (message instanceof Session.Announced a) {
      if (a.event() != null) {
        return List.of(new Item(new Sequenced<>(a.seqNr(), a.event()), null));
      }
      if (a.token() != null) {
        return List.of(new Item(null, a.token()));
      }
    }
    return List.of();
  }

  /** Deliver an item, or first read the events [fillFrom, fillTo] from the journal. */
  record Step(Item item, long fillFrom, long fillTo) {}

  /**
   * Events in sequence order without gaps or repeats; tokens pass as they come. A repeat (an event
   * both stored and announced) is dropped; an event past a gap asks for the gap, itself included.
   */
  private static final class InOrder implements org.apache.pekko.japi.function.Function<Item, Iterable<Step>> {
    private long next;

    InOrder(long next) {
      this.next = next;
    }

    @Override
    public Iterable<Step> apply(Item item) {
      if (item.event() == null) {
        return List.of(new Step(item, 0, 0));
      }
      long seqNr = item.event().seqNr();
      if (seqNr < next) {
        return List.of();
      }
      long expected = next;
      next = seqNr + 1;
      return seqNr == expected ? List.of(new Step(item, 0, 0)) : List.of(new Step(null, expected, seqNr));
    }
  }

  /** Nothing follows these but, for a parked session, a cancel: a stream ends there. */
  static boolean terminal(Session.Event e) {
    return e instanceof Session.SessionCompleted || e instanceof Session.SessionFailed
        || e instanceof Session.SessionCancelled || e instanceof Session.SessionParked;
  }

  /** The SSE events of one journaled event: one, but a conversation's start is also its first turn_start. */
  static List<ServerSentEvent> toSse(Sequenced<Session.Event> s) {
    ServerSentEvent main = toOneSse(s);
    if (s.event() instanceof Session.SessionStarted x && x.definition() != null && x.definition().conversational()) {
      ObjectNode d = Json.MAPPER.createObjectNode().put("turn", 1).put("input", x.input())
          .put("at", x.startedAt().toString()).put("seq", s.seqNr());
      return List.of(main, ServerSentEvent.create(data(d), "turn_start", Long.toString(s.seqNr())));
    }
    return List.of(main);
  }

  private static ServerSentEvent toOneSse(Sequenced<Session.Event> s) {
    Session.Event e = s.event();
    ObjectNode d = Json.MAPPER.createObjectNode();
    String type;
    if (e instanceof Session.SessionStarted x) {
      type = "start";
      d.put("agentName", x.agentName()).put("input", x.input()).put("startedAt", x.startedAt().toString());
      d.put("conversational", x.definition() != null && x.definition().conversational());
    } else if (e instanceof Session.LlmResponded x) {
      type = "metadata";
      d.put("iteration", x.iteration()).put("text", x.text()).put("inputTokens", x.usage().inputTokens())
          .put("outputTokens", x.usage().outputTokens()).put("cached", x.cached()).put("durationMillis", x.durationMillis())
          .put("costUsd", x.costUsd());
      if (x.droppedMessages() > 0) {
        d.put("droppedMessages", x.droppedMessages()); // older turns left out to fit the context window
      }
      d.set("toolCalls", Json.MAPPER.valueToTree(x.toolCalls()));
    } else if (e instanceof Session.TurnStarted x) {
      type = "turn_start";
      d.put("turn", x.turn()).put("input", x.input()).put("queued", x.fromQueue()).put("at", x.at().toString());
    } else if (e instanceof Session.TurnCompleted x) {
      type = "turn_end";
      d.put("turn", x.turn()).put("output", x.output()).put("status", "WAITING_FOR_INPUT")
          .put("idleDeadline", x.idleDeadline().toString()).put("at", x.at().toString());
    } else if (e instanceof Session.InputQueued x) {
      type = "message_queued";
      d.put("input", x.input()).put("at", x.at().toString());
    } else if (e instanceof Session.ApprovalRequested x) {
      type = "approval_required";
      d.put("callId", x.callId()).put("tool", x.tool()).put("arguments", x.argumentsJson())
          .put("deadline", x.deadline().toString()).put("at", x.at().toString());
    } else if (e instanceof Session.ApprovalDecided x) {
      type = "approval_decided";
      d.put("callId", x.callId()).put("decision", x.decision()).put("decidedBy", x.decidedBy())
          .put("comment", x.comment()).put("at", x.at().toString());
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
      if (x.closed() != null) {
        d.put("closed", x.closed()); // a conversation closed by its owner ("closed") or for being idle ("idle")
      }
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
