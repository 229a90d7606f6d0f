package io.troupe.runtime.agent;

import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.quota.Quotas;
import io.troupe.runtime.governance.ratelimit.RateLimits;
import io.troupe.runtime.journal.JournalFollower;
import io.troupe.runtime.journal.Sequenced;
import java.util.OptionalLong;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.service.Refused;
import io.troupe.runtime.service.RetryingAsk;
import io.troupe.runtime.tool.CallChain;
import io.troupe.runtime.tool.ToolContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The one way into sessions, for every door (HTTP routes, the {@code call_agent} tool, topic
 * subscriptions, and the doors to come). Starting a session is decided here and nowhere else:
 * the agent is looked up (unknown or retired: refused), the session's id and its owner are
 * derived from where the start came from, and the start is asked with the node's one ask policy.
 *
 * <p><b>The owner pays.</b> A session's owner is the API user it runs for: the key's user (or,
 * for an administrator only, the user named in the request); for {@code call_agent} the calling
 * session's owner; for a topic subscription the user whose key published the triggering message.
 * Budgets and costs are charged to the owner, so no door is a way around a user's budget.
 *
 * <p><b>The owner's quota.</b> Every start takes one of the owner's concurrent-session slots
 * ({@link Quotas}, refused with 429 when the user's {@code concurrentSessions} are all running), and
 * a start from a topic message also a {@code model_running} token of the owner's per-user rate
 * limit (the API's starts take theirs at the edge).
 *
 * <p><b>The owner reads and cancels.</b> Reading a session and cancelling it are checked here too,
 * as {@link Ownership} states: its owner and administrators; read-only observers may read.
 *
 * <p><b>Calls are bounded.</b> Every session carries its {@link CallChain}: the root session and the
 * agents of the {@code call_agent} calls down to it. A call that would run an agent already on the
 * chain (a cycle: A → B → A, or an agent calling itself) or go deeper than
 * {@code troupe.sessions.max-call-depth} below the root is refused before anything starts.
 */
public final class Sessions implements Extension {

  /** Where a start comes from, as each door knows it; {@link #start} turns it into id and owner. */
  public sealed interface Origin {
    /** An API key's holder. {@code onBehalfOf} is the user asked for in the request, or null. */
    record Caller(Principal principal, String onBehalfOf) implements Origin {}

    /** A running session's {@code call_agent} call: the child belongs to the parent's owner. */
    record Parent(ToolContext call) implements Origin {}

    /** A message on a topic the agent subscribes to: the session belongs to its publisher. */
    record Message(String topic, Topic.MessagePublished message) implements Origin {}
  }

  /** A session started (or found started: every start is safe to repeat). */
  public record Started(String sessionId, String owner, boolean alreadyStarted) {}

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final java.time.Clock clock;
  private final Quotas quotas;
  private final JournalFollower follower;
  private final int maxCallDepth;

  public static Sessions get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Sessions(ActorSystem<?> system) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.clock = io.troupe.runtime.node.NodeClock.get(system).clock();
    this.asks = io.troupe.runtime.node.RuntimeSettings.get(system).ask().retrying();
    this.quotas = Quotas.get(system);
    this.follower = new JournalFollower(system, FOLLOW_BUFFER);
    this.maxCallDepth = io.troupe.runtime.node.RuntimeSettings.get(system).sessions().maxCallDepth();
  }

  /** Live events buffered per {@link #whenEnded} follow; a gap is read from the journal. */
  private static final int FOLLOW_BUFFER = 16;

  /** Starts a session of {@code agentName} with {@code input}; fails with {@link Refused} when it may not. */
  public CompletionStage<Started> start(String agentName, String input, Origin origin) {
    return start(agentName, input, origin, sessionId(agentName, origin, clock));
  }

  /**
   * A new id for a caller's session of {@code agentName}, for a door that must follow the session
   * from its first event: it joins the session's live feed under this id, then starts it with
   * {@link #start(String, String, Origin.Caller, String)}.
   */
  public String newSessionId(String agentName) {
    return SessionIds.next(agentName, clock);
  }

  /** {@link #start(String, String, Origin)} under {@code sessionId}, an id {@link #newSessionId} gave for this agent. */
  public CompletionStage<Started> start(String agentName, String input, Origin.Caller origin, String sessionId) {
    if (!SessionIds.valid(sessionId) || !SessionIds.agentOf(sessionId).equals(agentName)) {
      return java.util.concurrent.CompletableFuture.failedFuture(
          new IllegalArgumentException("not a session id of agent " + agentName + ": " + sessionId));
    }
    return start(agentName, input, (Origin) origin, sessionId);
  }

  private CompletionStage<Started> start(String agentName, String input, Origin origin, String sessionId) {
    String owner;
    try {
      if (origin instanceof Origin.Parent p) {
        checkCall(agentName, p.call());
      }
      owner = owner(agentName, origin);
    } catch (Refused refused) {
      return java.util.concurrent.CompletableFuture.failedFuture(refused);
    }
    CallChain chain = chain(agentName, origin, sessionId);
    return asks.ask(agent(agentName), Agent.Get::new).thenCompose(lookup -> {
      Agent.AgentView agent = lookup.agent();
      if (agent == null) {
        throw Agents.notFound(agentName);
      }
      if (agent.status() == Agent.Status.RETIRED) {
        throw Refused.conflict("agent " + agentName + " is retired; define it again to run it");
      }
      if (origin instanceof Origin.Message m && !agent.definition().subscriptions().contains(m.topic())) {
        throw Refused.conflict("agent " + agentName + " no longer subscribes to topic " + m.topic());
      }
      if (origin instanceof Origin.Caller c && !Ownership.mayRun(agent, c.principal())) {
        throw Ownership.mayNotRun(agentName);
      }
      return mayBeCalled(agent, origin, owner)
          .thenCompose(allowed -> quotas.takeSessionSlot(owner, sessionId))
          .thenCompose(slot -> modelRunningToken(owner, origin).whenComplete((token, refused) -> {
            if (refused != null) {
              quotas.releaseSessionSlot(owner, sessionId);
            }
          }))
          // Starting the same session id again changes nothing, so the start may be asked again.
          .thenCompose(token -> asks.<Session.Command, Session.Started>askWithStatus(session(sessionId),
                  replyTo -> new Session.Start(agentName, agent.definition(), input, owner, chain, replyTo))
              .whenComplete((started, failed) -> {
                if (failed != null) {
                  quotas.releaseSessionSlot(owner, sessionId);
                }
              }))
          .thenApply(started -> new Started(sessionId, owner, started.alreadyStarted()));
    });
  }

  /**
   * A message's session takes a model_running token from its owner's per-user buckets, as a start
   * through the API does at the edge (with the key's): refused (429) when they are empty. Other
   * doors were charged where they came in.
   */
  private CompletionStage<Void> modelRunningToken(String owner, Origin origin) {
    if (!(origin instanceof Origin.Message)) {
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }
    return RateLimits.get(system).acquire(RateLimits.userSubject(owner), EndpointClass.MODEL_RUNNING).thenAccept(decision -> {
      if (!decision.allowed()) {
        throw Refused.tooMany("rate limit exceeded: " + decision.description() + " for model_running across all"
            + " sessions of user " + owner + "; retry in " + decision.retryAfterSeconds() + " s",
            decision.retryAfterSeconds());
      }
    });
  }

  /**
   * Completes when the session has ended (completed, failed, timed out, cancelled) or, a
   * conversation, when its first turn has ended (it waits for input: nothing runs), at the latest
   * after {@code within}: it follows the session's events, stored then live.
   */
  public CompletionStage<org.apache.pekko.Done> whenEnded(String sessionId, java.time.Duration within) {
    return whenTurnEnded(sessionId, 1, within);
  }

  /**
   * The key of the concurrent-session slot a turn takes: the session id for its start (turn 1),
   * "{id}#{turn}" for a later turn. A conversation holds a slot while a turn runs (or waits for
   * an approval), not while it waits for input, so open conversations do not use up a quota.
   */
  static String slotKey(String sessionId, int turn) {
    return turn <= 1 ? sessionId : sessionId + "#" + turn;
  }

  /** Completes when the turn a slot key ({@link #slotKey}) names has ended, as {@link #whenTurnEnded}. */
  public CompletionStage<org.apache.pekko.Done> whenSlotFree(String slotKey, java.time.Duration within) {
    int hash = slotKey.lastIndexOf('#');
    if (hash < 0) {
      return whenTurnEnded(slotKey, 1, within);
    }
    int turn;
    try {
      turn = Integer.parseInt(slotKey.substring(hash + 1));
    } catch (NumberFormatException e) {
      return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
    }
    return whenTurnEnded(slotKey.substring(0, hash), turn, within);
  }

  /** Completes when the session has ended, or its turn {@code turn} (or a later one) has; at the latest after {@code within}. */
  public CompletionStage<org.apache.pekko.Done> whenTurnEnded(String sessionId, int turn, java.time.Duration within) {
    return follower.<Session.Event>follow(persistenceId(sessionId), Session.liveFeed(sessionId), OptionalLong.of(1),
            msg -> msg instanceof Session.Announced a && a.event() != null
                ? java.util.Optional.of(new Sequenced<>(a.seqNr(), a.event())) : java.util.Optional.empty())
        .filter(e -> e.event() instanceof Session.SessionCompleted || e.event() instanceof Session.SessionFailed
            || e.event() instanceof Session.SessionCancelled
            || e.event() instanceof Session.TurnCompleted t && t.turn() >= turn)
        .take(1)
        .completionTimeout(within)
        .runWith(org.apache.pekko.stream.javadsl.Sink.ignore(), system)
        .exceptionally(timedOut -> org.apache.pekko.Done.getInstance());
  }

  /**
   * Refuses a {@code call_agent} call of {@code agentName} from {@code call}'s session when the
   * agent is already on the session's chain (the same agent anywhere above: a cycle, however long)
   * or the child would be deeper than {@code troupe.sessions.max-call-depth} below the root.
   */
  public void checkCall(String agentName, ToolContext call) {
    CallChain chain = call.chain() != null ? call.chain() : CallChain.root(call.sessionId(), call.agentName());
    if (chain.contains(agentName)) {
      throw Refused.conflict("call_agent refused: agent " + agentName + " is already running on this call chain ("
          + chain.describe() + "); an agent may not call itself or an agent that (indirectly) called it");
    }
    if (chain.depth() + 1 > maxCallDepth) {
      throw Refused.conflict("call_agent refused: the call chain " + chain.describe() + " is already "
          + chain.depth() + " calls deep, the most allowed (troupe.sessions.max-call-depth = " + maxCallDepth
          + "); answer without calling another agent");
    }
  }

  /** The chain of a session started from {@code origin}: a root for a user or a message, one more link for a call. */
  private static CallChain chain(String agentName, Origin origin, String sessionId) {
    if (origin instanceof Origin.Parent p) {
      CallChain parent = p.call().chain() != null ? p.call().chain()
          : CallChain.root(p.call().sessionId(), p.call().agentName());
      return parent.child(p.call().sessionId(), agentName);
    }
    if (origin instanceof Origin.Caller c) {
      return CallChain.root(sessionId, c.principal().userId(), c.principal().keyId(), agentName);
    }
    return CallChain.root(sessionId, agentName);
  }

  /**
   * A {@code call_agent} call may run a private agent only for its owner, or from an agent of the
   * same owner (an owner composes its own agents, also inside a shared one others run). Messages
   * start the sessions their subscribing agent's owner asked for by subscribing it.
   */
  private CompletionStage<Boolean> mayBeCalled(Agent.AgentView callee, Origin origin, String owner) {
    if (!(origin instanceof Origin.Parent p) || callee.shared() || callee.owner().equals(owner)) {
      return java.util.concurrent.CompletableFuture.completedFuture(true);
    }
    return asks.<Agent.Command, Agent.AgentLookup>ask(agent(p.call().agentName()), Agent.Get::new).thenApply(caller -> {
      if (caller.agent() == null || !callee.owner().equals(caller.agent().owner())) {
        throw Ownership.mayNotRun(callee.name());
      }
      return true;
    });
  }

  /**
   * The session as it is now; status NEW when no session has this id. Read from the journal, not
   * from the entity: every step is journaled before the next one starts, so the folded events
   * are the session's state, and reading a finished (or unknown) session wakes no entity.
   * Events that cannot be read (no longer deserialized, or refused by {@link SessionState#apply})
   * are skipped: a session with such events is shown FAILED_RECOVERY with them named in its error,
   * as its entity, unable to replay them, parks it; no read of it fails for them.
   */
  public CompletionStage<SessionView> view(String sessionId) {
    return view(sessionId, 0, io.troupe.runtime.node.RuntimeSettings.get(system).sessions().defaultListLimit());
  }

  /** {@link #view(String)} with the tool calls from index {@code toolCallsFrom}, at most {@code toolCallsLimit}. */
  public CompletionStage<SessionView> view(String sessionId, int toolCallsFrom, int toolCallsLimit) {
    return SessionJournal.read(system, persistenceId(sessionId))
        .thenApply(read -> SessionView.of(sessionId, read.shown(), clock.instant(), toolCallsFrom, toolCallsLimit));
  }

  /**
   * {@link #view(String, int, int)} for {@code caller}, in one read of the journal: an unknown id
   * is refused (404), another user's session too (403), as {@link Ownership} states.
   */
  public CompletionStage<SessionView> view(String sessionId, int toolCallsFrom, int toolCallsLimit, Principal caller) {
    return view(sessionId, toolCallsFrom, toolCallsLimit).thenApply(v -> {
      if ("NEW".equals(v.status())) {
        throw notFound(sessionId);
      }
      Ownership.checkRead(sessionId, v.owner(), caller);
      return v;
    });
  }

  /** A session's journaled events in order, and the state they fold to. */
  public record Journaled(java.util.List<io.troupe.runtime.journal.Sequenced<Session.Event>> events, SessionState state) {
    /** The session ended (or never started, or is parked): nothing more will be journaled for it but a cancel. */
    public boolean finished() {
      return state.status() != SessionState.Status.RUNNING && !state.status().waiting();
    }
  }

  /**
   * Every journaled event of a session {@code caller} may read, in one read of the journal: an
   * unknown id is refused (404), another user's session too (403), as {@link Ownership} states.
   * For a follower (the SSE door), which needs the check, the stored events and whether more
   * will come, and would otherwise read the journal three times. Events that cannot be read are
   * left out, and the state is then shown as {@link #view(String)} shows it (FAILED_RECOVERY).
   */
  public CompletionStage<Journaled> journaled(String sessionId, Principal caller) {
    return SessionJournal.read(system, persistenceId(sessionId))
        .thenApply(read -> {
          java.util.List<io.troupe.runtime.journal.Sequenced<Session.Event>> events = read.events();
          if (events.isEmpty() || !(events.get(0).event() instanceof Session.SessionStarted started)) {
            throw notFound(sessionId);
          }
          Ownership.checkRead(sessionId, started.userId(), caller);
          return new Journaled(events, read.shown());
        });
  }

  /**
   * Cancels a running or parked session (a finished one is answered as it is) for its owner or an
   * administrator; unknown ids are refused (404), another user's session too (403). The owner is
   * read from the first event only, so a cancel costs the same however much the session holds.
   */
  public CompletionStage<SessionView> cancel(String sessionId, Principal caller) {
    return started(sessionId).thenCompose(started -> {
      Ownership.checkChange(sessionId, started.userId(), caller);
      return asks.<Session.Command, SessionView>askWithStatus(session(sessionId), Session.Cancel::new);
    });
  }

  /**
   * Sends a message to a conversation for {@code caller} (its owner or an administrator): a new
   * turn when it waits for input, queued behind the running turn otherwise. Each turn takes one of
   * the owner's concurrent-session slots until it ends. Refused: unknown session (404), another
   * user's (403), not a conversation, ended, or too many queued (409), the owner's slots all
   * taken (429). {@code messageId} (a client's idempotency key, or a new one per request) makes a
   * retried message count once.
   */
  public CompletionStage<Session.Changed> message(String sessionId, String input, String messageId, Principal caller) {
    String id = messageId != null ? messageId : java.util.UUID.randomUUID().toString();
    // The owner from the first event (one row, however long the conversation); the turn the
    // message will start from the entity, which the message wakes anyway.
    return started(sessionId).thenCompose(started -> {
      Ownership.checkChange(sessionId, started.userId(), caller);
      String owner = started.userId();
      return asks.<Session.Command, SessionView>ask(session(sessionId), Session.Get::new).thenCompose(now -> {
        int turn = now.turnCount() + now.queuedMessages() + 1;
        String slot = slotKey(sessionId, turn);
        return quotas.takeSessionSlot(owner, slot)
            .thenCompose(taken -> asks.<Session.Command, Session.Changed>ask(session(sessionId),
                replyTo -> new Session.Message(input, id, replyTo)))
            .whenComplete((changed, failed) -> {
              // Refused: no turn. (A message that got another turn than foreseen, repeated or overtaken,
              // keeps this key until a turn at least this far ends: the quota is not passed, only held a little longer.)
              if (failed != null || changed.refused() != null || changed.unknown() != null) {
                quotas.releaseSessionSlot(owner, slot);
              }
            })
            .thenApply(Sessions::orRefused);
      });
    });
  }

  /**
   * A session {@code caller} may send a message to (its owner or an administrator; else refused as
   * {@link #message} refuses), as its entity holds it now, with the sequence number of its last
   * event: a door that follows the turn its message starts joins the session's live feed, asks
   * this, sends the message, and follows from {@code lastSeqNr + 1}. Reads one row of the journal
   * for the owner and one for the number, not the whole conversation.
   */
  public CompletionStage<BeforeMessage> beforeMessage(String sessionId, Principal caller) {
    return started(sessionId).thenCompose(started -> {
      Ownership.checkChange(sessionId, started.userId(), caller);
      return asks.<Session.Command, SessionView>ask(session(sessionId), Session.Get::new)
          .thenCompose(view -> SessionJournal.lastSeqNr(system, persistenceId(sessionId))
              .thenApply(last -> new BeforeMessage(view, last)));
    });
  }

  /** A session before a message: its view and its last event's sequence number (see {@link #beforeMessage}). */
  public record BeforeMessage(SessionView view, long lastSeqNr) {}

  /** Closes a conversation that waits for input (COMPLETED), for its owner or an administrator. */
  public CompletionStage<SessionView> close(String sessionId, Principal caller) {
    return started(sessionId).thenCompose(started -> {
      Ownership.checkChange(sessionId, started.userId(), caller);
      return asks.<Session.Command, Session.Changed>ask(session(sessionId),
          replyTo -> new Session.Close(caller.userId(), replyTo));
    }).thenApply(changed -> orRefused(changed).view());
  }

  /**
   * Decides the tool call {@code callId} a session awaits approval for: approved, it runs;
   * rejected, the model is told by whom and why. For the session's owner or an administrator
   * (the route needs approvals:decide). Every decision goes to the audit log with who, which
   * call, approve or reject, and the comment. A second decision on the same call: 409.
   */
  public CompletionStage<SessionView> decide(String sessionId, String callId, boolean approve, String comment,
                                             Principal caller) {
    return started(sessionId).thenCompose(started -> {
      Ownership.checkDecide(sessionId, started.userId(), caller);
      return asks.<Session.Command, Session.Changed>ask(session(sessionId),
          replyTo -> new Session.Decide(callId, approve, comment, caller.userId(), replyTo));
    }).thenApply(changed -> {
      Session.Changed decided = orRefused(changed);
      io.troupe.runtime.governance.security.NodeAudit.get(system).record(new io.troupe.runtime.governance.security.AuditEntry(
          0, clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS), caller.userId(), caller.keyId(),
          "DECIDE approval", io.troupe.runtime.governance.Permission.APPROVALS_DECIDE.id(),
          "/api/v1/sessions/" + sessionId + "/approvals/" + bounded(callId, 200), "OK", 200, null,
          system.address().toString(), (approve ? "APPROVED" : "REJECTED") + " tool call " + bounded(callId, 200)
              + (comment == null || comment.isBlank() ? "" : ": " + bounded(comment, 1000))));
      return decided.view();
    });
  }

  private static String bounded(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "…";
  }

  /**
   * Approvals waiting for a decision that {@code caller} may make: its own sessions' (every
   * session's for an administrator), filtered by agent and session, after the session id
   * {@code after}. From the read side, which trails the journal by about a second.
   */
  public CompletionStage<java.util.List<io.troupe.runtime.readside.SessionQueries.PendingApproval>> pendingApprovals(
      Principal caller, String agent, String sessionId, String after, int limit) {
    String owner = caller.isAdmin() ? null : caller.userId();
    return readQueries().pendingApprovals(owner, agent, sessionId, after == null ? "" : after, limit);
  }

  /**
   * A page of the conversation of a session {@code caller} may read, as the model sees it: the
   * system prompt, every user message, every reply with its tool calls, every tool result, in
   * order; messages {@code from} (index, 0 is the system prompt) on, at most {@code limit}.
   */
  public CompletionStage<Conversation> conversation(String sessionId, int from, int limit, Principal caller) {
    return SessionJournal.read(system, persistenceId(sessionId)).thenApply(read -> {
      SessionState state = read.shown();
      if (state.status() == SessionState.Status.NEW) {
        throw notFound(sessionId);
      }
      Ownership.checkRead(sessionId, state.userId(), caller);
      java.util.List<io.troupe.runtime.llm.ChatMessage> all = state.conversation();
      int start = Math.min(Math.max(0, from), all.size());
      int end = (int) Math.min(all.size(), (long) start + Math.max(0, limit));
      return new Conversation(sessionId, state.status().name(), all.size(), start, end < all.size() ? end : null,
          all.subList(start, end));
    });
  }

  /** One page of a conversation: {@code total} messages in all, this page from {@code from}, the next from {@code next}. */
  public record Conversation(String sessionId, String status, int total, int from, Integer next,
                             java.util.List<io.troupe.runtime.llm.ChatMessage> messages) {}

  private volatile io.troupe.runtime.readside.SessionQueries readQueries;

  private io.troupe.runtime.readside.SessionQueries readQueries() {
    io.troupe.runtime.readside.SessionQueries q = readQueries;
    if (q == null) {
      q = new io.troupe.runtime.readside.SessionQueries(io.troupe.runtime.db.NodeDatabase.get(system).database(), clock);
      readQueries = q;
    }
    return q;
  }

  /** The change, or the refusal the entity answered as a {@link Refused}. */
  private static Session.Changed orRefused(Session.Changed changed) {
    if (changed.unknown() != null) {
      throw Refused.notFound(changed.unknown());
    }
    if (changed.refused() != null) {
      throw Refused.conflict(changed.refused());
    }
    return changed;
  }

  /**
   * The session's first event, which names its owner; refused (404) when there is none, or when
   * it cannot be read (then no owner is known).
   */
  private CompletionStage<Session.SessionStarted> started(String sessionId) {
    return SessionJournal.first(system, persistenceId(sessionId))
        .thenApply(first -> {
          if (first.isEmpty() || !(first.get() instanceof Session.SessionStarted started)) {
            throw notFound(sessionId);
          }
          return started;
        });
  }

  /**
   * Cancels a session whose parent ended (its owner's cancel, or the parent's own end): no caller
   * to check, the parent's cancel was checked. Read from the journal first, so a child that never
   * started (a refused call) or already ended wakes no entity; a running one is asked with the
   * node's ask policy (bounded retries), so a child on a node that just died is still reached.
   * Failures are only logged: the parent has ended either way.
   */
  void cancelChild(String sessionId) {
    view(sessionId, 0, 0)
        .thenCompose(v -> SessionState.Status.valueOf(v.status()).cancellable() // running, or parked
            ? asks.<Session.Command, SessionView>askWithStatus(session(sessionId), Session.Cancel::new)
            : java.util.concurrent.CompletableFuture.completedFuture(v))
        .whenComplete((view, failure) -> {
          if (failure != null) {
            org.slf4j.LoggerFactory.getLogger(Sessions.class)
                .warn("Could not cancel child session {}: {}", sessionId, failure.toString());
          }
        });
  }

  private static String persistenceId(String sessionId) {
    return Session.ENTITY_KEY.name() + PersistenceId.DefaultSeparator() + sessionId;
  }

  private static Refused notFound(String sessionId) {
    return Refused.notFound("no session " + sessionId + " is known");
  }

  /** Who a session started from {@code origin} belongs to (and is charged to). */
  static String owner(String agentName, Origin origin) {
    if (origin instanceof Origin.Caller c) {
      String caller = c.principal().userId();
      if (c.onBehalfOf() == null || c.onBehalfOf().equals(caller)) {
        return caller;
      }
      if (!c.principal().isAdmin()) {
        throw Refused.forbidden("userId: only an administrator may start a session for another user; leave it out"
            + " to start it as " + caller);
      }
      return c.onBehalfOf();
    }
    if (origin instanceof Origin.Parent p) {
      // The calling session's owner, which is its root's: a whole call chain runs for, and is charged to, one user.
      return p.call().userId() != null ? p.call().userId() : Session.ANONYMOUS_USER;
    }
    // Messages journaled before publishers were recorded have none; they run as the anonymous user.
    String publisher = ((Origin.Message) origin).message().publishedBy();
    return publisher != null ? publisher : Session.ANONYMOUS_USER;
  }

  /**
   * A new id for a caller's start; for a call or a message, one derived from it, so a call retried
   * after a crash, or a message delivered again, finds the session it started the first time.
   */
  static String sessionId(String agentName, Origin origin, java.time.Clock clock) {
    if (origin instanceof Origin.Parent p) {
      return childSessionId(agentName, p.call().sessionId(), p.call().callId());
    }
    if (origin instanceof Origin.Message m) {
      return SessionIds.forMessage(agentName, m.message().publishedAt().toEpochMilli(), m.topic(), m.message().offset());
    }
    return SessionIds.next(agentName, clock);
  }

  /** Same call id, same child: "{agent}~{caller's start millis}-{16 hex of the call id's digest}". */
  static String childSessionId(String agent, String caller, String callId) {
    long millis = SessionIds.valid(caller)
        ? Long.parseLong(caller.substring(caller.indexOf('~') + 1, caller.indexOf('~') + 14)) : 0;
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(callId.getBytes(StandardCharsets.UTF_8));
      return agent + "~" + String.format("%013d", millis) + "-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private EntityRef<Agent.Command> agent(String name) {
    return sharding.entityRefFor(Agent.ENTITY_KEY, name);
  }

  private EntityRef<Session.Command> session(String id) {
    return sharding.entityRefFor(Session.ENTITY_KEY, id);
  }

  /** Extension id: one service per ActorSystem. */
  public static final class Id extends ExtensionId<Sessions> {
    private static final Id INSTANCE = new Id();

    @Override
    public Sessions createExtension(ActorSystem<?> system) {
      return new Sessions(system);
    }
  }
}
