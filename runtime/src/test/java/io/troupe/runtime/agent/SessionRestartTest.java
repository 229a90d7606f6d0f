package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.TestNodes;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.node.TroupeNode;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * A session running when the whole cluster stops (here: its only node) is not left hanging:
 * when the cluster starts again the session starts by itself, with no request touching it,
 * runs the interrupted tool call again with the same call id, and completes. The sessions that
 * come back are admitted one at a time here (troupe.sessions.resume-concurrency = 1): their
 * interrupted calls run again one after the other, not all at once.
 */
class SessionRestartTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, AtomicInteger> ATTEMPTS = new ConcurrentHashMap<>();
  private static final AtomicInteger IN_FLIGHT = new AtomicInteger();
  /** The most attempts after the first in flight at once. */
  private static final AtomicInteger MOST_RESUMED_AT_ONCE = new AtomicInteger();
  private static final int SESSIONS = 3;

  /** Slow (3 s the first time, 1 s when run again); counts attempts per call id. */
  static final class Slow implements Tool {
    @Override
    public String name() {
      return "slow";
    }

    @Override
    public String description() {
      return "slow";
    }

    @Override
    public JsonNode parameters() {
      return JSON.createObjectNode().put("type", "object");
    }

    @Override
    public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
      int attempt = ATTEMPTS.computeIfAbsent(context.callId(), k -> new AtomicInteger()).incrementAndGet();
      if (attempt == 1) {
        return CompletableFuture.supplyAsync(() -> (JsonNode) JSON.createObjectNode().put("ok", true),
            CompletableFuture.delayedExecutor(3, TimeUnit.SECONDS));
      }
      MOST_RESUMED_AT_ONCE.accumulateAndGet(IN_FLIGHT.incrementAndGet(), Math::max);
      return CompletableFuture.supplyAsync(() -> {
        IN_FLIGHT.decrementAndGet();
        return (JsonNode) JSON.createObjectNode().put("ok", true);
      }, CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS));
    }
  }

  private static TroupeNode start(DatabaseTarget db) throws Exception {
    return TroupeNode.start(TestNodes.config(db, TestNodes.Ports.free(), List.of(),
        Map.of("troupe.sessions.resume-concurrency", 1)), List.of(), List.of(system -> new Slow()));
  }

  @Test
  void aRunningSessionResumesByItselfAfterAFullRestart() throws Exception {
    DatabaseTarget db = TestDatabase.fresh();
    AgentDefinition definition = new AgentDefinition("Patient", null, "scripted", "script", 0, 8, 30,
        List.of("slow"), List.of(), List.of(
            new AgentDefinition.ScriptedReply(null, List.of(new AgentDefinition.ScriptedToolCall("slow", "{}"))),
            new AgentDefinition.ScriptedReply("finished after the restart", List.of())));
    List<String> sessionIds = new java.util.ArrayList<>();
    for (int i = 0; i < SESSIONS; i++) {
      sessionIds.add(SessionIds.next("patient"));
    }
    String sessionId = sessionIds.get(0);

    TroupeNode first = start(db);
    try {
      for (String id : sessionIds) {
        ClusterSharding.get(first.system()).entityRefFor(Session.ENTITY_KEY, id)
            // The first waits for the fresh node to be Up and its shard allocated: slow on a busy machine.
            .<Session.Started>askWithStatus(r -> new Session.Start("patient", definition, "wait for it", null, null, r),
                Duration.ofSeconds(30))
            .toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      Instant started = Instant.now().plusSeconds(30);
      while (sessionIds.stream().anyMatch(id -> !ATTEMPTS.containsKey(id + "/call_1_1")) && Instant.now().isBefore(started)) {
        Thread.sleep(20);
      }
    } finally {
      first.close(); // mid-call: the tools' answers are lost with the node
    }

    TroupeNode second = start(db);
    try {
      Instant deadline = Instant.now().plusSeconds(60);
      for (String id : sessionIds) {
        String callId = id + "/call_1_1";
        while (ATTEMPTS.getOrDefault(callId, new AtomicInteger()).get() < 2 && Instant.now().isBefore(deadline)) {
          Thread.sleep(100); // nothing asks for the sessions: they must come back by themselves
        }
        assertEquals(2, ATTEMPTS.get(callId).get(), "the interrupted call ran again by itself, same call id");
      }
      assertEquals(1, MOST_RESUMED_AT_ONCE.get(), "resumed one at a time (resume-concurrency 1)");
      SessionView view = null;
      while (Instant.now().isBefore(deadline)) {
        view = ClusterSharding.get(second.system()).entityRefFor(Session.ENTITY_KEY, sessionId)
            .ask(Session.Get::new, TIMEOUT).toCompletableFuture().get(10, TimeUnit.SECONDS);
        if ("COMPLETED".equals(view.status())) {
          break;
        }
        Thread.sleep(200);
      }
      assertEquals("COMPLETED", view.status(), String.valueOf(view));
      assertEquals("finished after the restart", view.output());
      assertEquals(1, view.toolCalls().size());
    } finally {
      second.close();
    }
  }
}
