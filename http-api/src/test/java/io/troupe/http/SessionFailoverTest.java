package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Durable execution across nodes: three real nodes in one JVM; a session runs a slow tool three
 * times; the node running the second call is stopped mid-call. The session completes on a
 * surviving node; the interrupted call is attempted again with the same call id; the calls that
 * had completed are never attempted again.
 */
@RunningNodeTest(nodes = 3)
class SessionFailoverTest {

  /** Every attempt of every call: (call id, node that ran it). */
  private static final List<String[]> ATTEMPTS = new CopyOnWriteArrayList<>();
  private static final Map<String, Integer> RUNNING_ON = new ConcurrentHashMap<>();
  @FromNode private static final List<RunningNode> nodes = new ArrayList<>();

  /** Takes 2 s; records each attempt and the node it ran on. */
  record SlowStep(int node) implements Tool {
    @Override
    public String name() {
      return "slow_step";
    }

    @Override
    public String description() {
      return "a slow step";
    }

    @Override
    public JsonNode parameters() {
      return Json.MAPPER.createObjectNode().put("type", "object");
    }

    @Override
    public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
      ATTEMPTS.add(new String[] {context.callId(), Integer.toString(node)});
      RUNNING_ON.put(context.callId(), node);
      return CompletableFuture.supplyAsync(() -> (JsonNode) Json.MAPPER.createObjectNode().put("step", "done"),
          CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS));
    }
  }

  /** Every node runs the slow tool, recording itself as the node of each attempt. */
  @BeforeAll
  static void registerTheSlowStep() {
    for (int i = 0; i < nodes.size(); i++) {
      nodes.get(i).node.tools().register(new SlowStep(i));
    }
  }

  @Test
  void aSessionWhoseNodeStopsCompletesElsewhereRunningEachCompletedToolCallOnce() {
    RunningNode entry = nodes.get(0);
    var defined = entry.http.send("PUT", "/api/v1/agents/stepper", Map.of("Content-Type", "application/json"), """
        {"role":"Stepper","provider":"scripted","tools":["slow_step"],"toolTimeoutSeconds":20,"script":[
          {"toolCalls":[{"name":"slow_step","arguments":{"n":1}}]},
          {"toolCalls":[{"name":"slow_step","arguments":{"n":2}}]},
          {"toolCalls":[{"name":"slow_step","arguments":{"n":3}}]},
          {"text":"all steps done"}]}""");
    assertEquals(201, defined.status(), defined.body());
    String sessionId = entry.http.postJson("/api/v1/agents/stepper/sessions", "{\"input\":\"go\"}").json()
        .get("sessionId").asText();
    String second = sessionId + "/call_2_1";

    awaitTrue("the second call is running", Duration.ofSeconds(30), () -> RUNNING_ON.containsKey(second));
    int host = RUNNING_ON.get(second);
    RunningNode stopped = nodes.get(host);
    // A follower on a node that stays: it must see every event once, in order, while the session
    // moves (stored ones from the journal, later ones announced by the session's new node).
    RunningNode watcher = nodes.stream().filter(n -> n != stopped).findFirst().orElseThrow();
    SseStream stream = AgentCalls.events(watcher.http, sessionId, "", Map.of());
    Instant stopAt = Instant.now();
    stopped.close(); // the node running the session leaves mid-call
    List<RunningNode> survivors = nodes.stream().filter(n -> n != stopped).toList();

    JsonNode[] finalView = new JsonNode[1];
    awaitTrue("the session completes on a survivor", Duration.ofSeconds(90), () -> {
      JsonNode view = survivors.get(0).http.get("/api/v1/sessions/" + sessionId).json();
      finalView[0] = view;
      return "COMPLETED".equals(view.path("status").asText());
    });
    System.out.println("Session completed " + Duration.between(stopAt, Instant.now()).toMillis()
        + " ms after its node was stopped");
    JsonNode view = finalView[0];
    assertEquals("all steps done", view.get("output").asText());
    List<SseStream.Event> events = AgentCalls.readToEnd(stream, Duration.ofSeconds(30));
    stream.close();
    List<String> ids = events.stream().filter(e -> e.id() != null && !"token".equals(e.type())).map(SseStream.Event::id).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= ids.size(); i++) {
      expected.add(Integer.toString(i));
    }
    assertEquals(expected, ids, "no gap, no repeat across the move: " + events);
    assertEquals("done", events.get(events.size() - 1).type());
    List<String> calls = new ArrayList<>();
    view.get("toolCalls").forEach(c -> {
      calls.add(c.get("callId").asText());
      assertEquals("OK", c.get("outcome").asText());
    });
    assertEquals(List.of("call_1_1", "call_2_1", "call_3_1"), calls, "each call recorded once, in order");

    assertEquals(1, attempts(sessionId + "/call_1_1"), "a completed call never runs again");
    assertEquals(2, attempts(second), "the interrupted call ran again, with the same call id");
    assertEquals(1, attempts(sessionId + "/call_3_1"));
    assertNotNull(RUNNING_ON.get(sessionId + "/call_3_1"));
    org.junit.jupiter.api.Assertions.assertNotEquals(host, RUNNING_ON.get(sessionId + "/call_3_1"),
        "the rest ran on a surviving node");
  }

  private static long attempts(String callId) {
    return ATTEMPTS.stream().filter(a -> a[0].equals(callId)).count();
  }

  private static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException | AssertionError notYet) {
        // a node may be between answers while the cluster changes
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("timed out after " + timeout + " waiting until " + what);
  }
}
