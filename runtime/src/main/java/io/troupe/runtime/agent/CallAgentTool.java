package io.troupe.runtime.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import io.troupe.runtime.tool.ToolException;
import io.troupe.runtime.tool.WriteLimits;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * {@code call_agent}: runs a session of another agent with the given input and returns its
 * output, through {@link Sessions} (which derives the child's id from the call id, so a call
 * retried after a crash finds the same child, and makes the child the calling session's owner's).
 *
 * <p>Bounded three ways, each refusal an error result for the calling model: {@link Sessions#checkCall}
 * refuses a cycle (an agent already on the call chain) and a call deeper than
 * {@code troupe.sessions.max-call-depth}; each start takes a token from the model_running rate
 * limit of the key that started the root session, as {@code POST /api/v1/agents/{name}/sessions}
 * does ({@link WriteLimits}). The child must finish within the caller's tool timeout; one that
 * does not is cancelled (with its own children), and so is a running child when its caller ends.
 */
public final class CallAgentTool implements Tool {

  public static final String NAME = "call_agent";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(200);
  private final ActorSystem<?> system;
  private final Sessions sessions;
  private final java.time.Clock clock;
  private final WriteLimits limits;

  public CallAgentTool(ActorSystem<?> system) {
    this.system = system;
    this.sessions = Sessions.get(system);
    this.limits = new WriteLimits(system);
    this.clock = io.troupe.runtime.node.NodeClock.get(system).clock();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Runs a session of another agent with the given input and returns that agent's final answer.";
  }

  @Override
  public JsonNode parameters() {
    try {
      return JSON.readTree("""
          {"type":"object","additionalProperties":false,"required":["agent","input"],
           "properties":{
             "agent":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,128}$","description":"the agent to run"},
             "input":{"type":"string","minLength":1,"maxLength":100000,"description":"what to ask it"}}}
          """);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
    String agent = arguments.get("agent").asText();
    Instant deadline = clock.instant().plus(context.timeout());
    try {
      sessions.checkCall(agent, context); // before a token is taken: a refused call costs none
    } catch (io.troupe.runtime.service.Refused refused) {
      return CompletableFuture.failedFuture(new ToolException(refused.getMessage()));
    }
    return limits.take(context, EndpointClass.MODEL_RUNNING, "starting a session of agent " + agent)
        .thenCompose(allowed -> sessions.start(agent, arguments.get("input").asText(), new Sessions.Origin.Parent(context)))
        .thenCompose(started -> cancelIfCallerEnded(context.sessionId(), started.sessionId()))
        .thenCompose(childId -> awaitEnd(childId, deadline))
        .thenApply(view -> {
          if (!"COMPLETED".equals(view.status())) {
            throw new ToolException("agent " + agent + " ended " + view.status()
                + (view.error() == null ? "" : ": " + view.error()));
          }
          ObjectNode result = JSON.createObjectNode();
          result.put("sessionId", view.sessionId());
          result.put("output", view.output());
          return result;
        });
  }

  /**
   * The caller may have been cancelled while its child was starting: its end cancelled the
   * children it found started, and this one was not yet. Read after the child's start was
   * journaled, the caller's end is seen here if that check missed the child.
   */
  private CompletionStage<String> cancelIfCallerEnded(String callerId, String childId) {
    return sessions.view(callerId, 0, 0).thenApply(caller -> {
      SessionState.Status status = SessionState.Status.valueOf(caller.status());
      if (status.finished() || status == SessionState.Status.FAILED_RECOVERY) { // ended, or parked: runs nothing
        sessions.cancelChild(childId);
      }
      return childId;
    });
  }

  /** The agent a call_agent call's arguments name, if they can be read. */
  static java.util.Optional<String> calledAgent(String argumentsJson) {
    try {
      JsonNode agent = JSON.readTree(argumentsJson == null ? "{}" : argumentsJson).path("agent");
      return agent.isTextual() ? java.util.Optional.of(agent.asText()) : java.util.Optional.empty();
    } catch (java.io.IOException e) {
      return java.util.Optional.empty();
    }
  }

  private CompletionStage<SessionView> awaitEnd(String sessionId, Instant deadline) {
    return sessions.view(sessionId)
        .thenCompose(view -> {
          // A child waiting for an approval still works on its answer; a conversation's answer ends its turn.
          if (!"RUNNING".equals(view.status()) && !"NEW".equals(view.status())
              && !"AWAITING_APPROVAL".equals(view.status())) {
            return CompletableFuture.completedFuture(view);
          }
          if (clock.instant().isAfter(deadline)) {
            sessions.cancelChild(sessionId); // nobody waits for its answer any more
            throw new ToolException("session " + sessionId + " did not finish in time; it was cancelled");
          }
          return CompletableFuture.supplyAsync(() -> null,
                  CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS, system.executionContext()))
              .thenCompose(x -> awaitEnd(sessionId, deadline));
        });
  }
}
