package io.troupe.runtime.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import io.troupe.runtime.tool.ToolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * {@code call_agent}: runs a session of another agent with the given input and returns its
 * output. The child session's id is derived from the call id, so a call retried after a crash
 * finds the same child session instead of starting a second one. The child must finish within
 * the caller's tool timeout; an agent may not call itself.
 */
public final class CallAgentTool implements Tool {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(200);
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;

  public CallAgentTool(ActorSystem<?> system) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
  }

  @Override
  public String name() {
    return "call_agent";
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
    String input = arguments.get("input").asText();
    if (agent.equals(context.agentName())) {
      return CompletableFuture.failedFuture(new ToolException("an agent may not call itself"));
    }
    Duration ask = Duration.ofSeconds(5);
    String childId = childSessionId(agent, context);
    return sharding.entityRefFor(Agent.ENTITY_KEY, agent).ask(Agent.Get::new, ask)
        .thenCompose(lookup -> {
          if (lookup.agent() == null) {
            throw new ToolException("no agent named " + agent);
          }
          if (lookup.agent().status() == Agent.Status.RETIRED) {
            throw new ToolException("agent " + agent + " is retired");
          }
          return sharding.entityRefFor(Session.ENTITY_KEY, childId).<Session.Started>askWithStatus(
              // Charged to the user the calling session runs for: a child session must not be a way
              // around that user's budget.
              replyTo -> new Session.Start(agent, lookup.agent().definition(), input,
                  context.userId() != null ? context.userId() : "agent:" + context.agentName(), replyTo), ask);
        })
        .thenCompose(started -> awaitEnd(childId, Instant.now().plus(context.timeout())))
        .thenApply(view -> {
          if (!"COMPLETED".equals(view.status())) {
            throw new ToolException("agent " + agent + " ended " + view.status()
                + (view.error() == null ? "" : ": " + view.error()));
          }
          ObjectNode result = JSON.createObjectNode();
          result.put("sessionId", childId);
          result.put("output", view.output());
          return result;
        });
  }

  private CompletionStage<SessionView> awaitEnd(String sessionId, Instant deadline) {
    return sharding.entityRefFor(Session.ENTITY_KEY, sessionId).ask(Session.Get::new, Duration.ofSeconds(5))
        .thenCompose(view -> {
          if (!"RUNNING".equals(view.status()) && !"NEW".equals(view.status())) {
            return CompletableFuture.completedFuture(view);
          }
          if (Instant.now().isAfter(deadline)) {
            throw new ToolException("session " + sessionId + " did not finish in time");
          }
          return CompletableFuture.supplyAsync(() -> null,
                  CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS, system.executionContext()))
              .thenCompose(x -> awaitEnd(sessionId, deadline));
        });
  }

  /** Same call id, same child: "{agent}~{caller's start millis}-{16 hex of the call id's digest}". */
  static String childSessionId(String agent, ToolContext context) {
    String caller = context.sessionId();
    long millis = SessionIds.valid(caller) ? Long.parseLong(caller.substring(caller.indexOf('~') + 1, caller.indexOf('~') + 14)) : 0;
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(context.callId().getBytes(StandardCharsets.UTF_8));
      return agent + "~" + String.format("%013d", millis) + "-" + HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
