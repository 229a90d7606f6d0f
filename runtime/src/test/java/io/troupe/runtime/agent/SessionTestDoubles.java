package io.troupe.runtime.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.llm.LlmException;
import io.troupe.runtime.llm.LlmProvider;
import io.troupe.runtime.llm.LlmRequest;
import io.troupe.runtime.llm.LlmResponse;
import io.troupe.runtime.llm.ScriptedProvider;
import io.troupe.runtime.tool.Tool;
import io.troupe.runtime.tool.ToolContext;
import io.troupe.runtime.tool.ToolException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Test doubles for Session tests: a model provider that records every request it is sent, and
 * tools that record every run by the call id they were given.
 */
final class SessionTestDoubles {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SessionTestDoubles() {}

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static AgentDefinition agent(String provider, List<String> tools, int maxIterations, int toolTimeoutSeconds,
                               double temperature) {
    return new AgentDefinition("a tester", "You test things.", provider, "test-model", temperature, maxIterations,
        toolTimeoutSeconds, tools, List.of(), List.of());
  }

  static AgentDefinition agent(String provider, String... tools) {
    return agent(provider, Arrays.asList(tools), 8, 10, 0.7);
  }

  static ScriptedProvider.Reply answer(String text) {
    return new ScriptedProvider.Reply(text, List.of());
  }

  /** A reply calling the named tools, each with {"n":i} (i = 1, 2, ...), in order. */
  static ScriptedProvider.Reply call(String... tools) {
    List<ScriptedProvider.Call> calls = new ArrayList<>();
    for (int i = 0; i < tools.length; i++) {
      calls.add(new ScriptedProvider.Call(tools[i], "{\"n\":" + (i + 1) + "}"));
    }
    return new ScriptedProvider.Reply("", calls);
  }

  /**
   * Answers like {@link ScriptedProvider} (the n-th reply of the script for a conversation with
   * n-1 assistant messages; call ids "call_{n}_{i}"), records every request, and can hold the
   * replies to chosen calls until {@link #release()}, or fail every call.
   */
  static final class RecordingProvider implements LlmProvider {
    private final String name;
    private final ScriptedProvider script;
    private final LlmException failure;
    private final List<LlmRequest> requests = new CopyOnWriteArrayList<>();
    private final List<Runnable> held = new ArrayList<>();
    private int holdReply;

    private RecordingProvider(String name, List<ScriptedProvider.Reply> replies, LlmException failure) {
      this.name = name;
      this.script = new ScriptedProvider(replies);
      this.failure = failure;
    }

    static RecordingProvider scripted(String name, ScriptedProvider.Reply... replies) {
      return new RecordingProvider(name, List.of(replies), null);
    }

    static RecordingProvider failing(String name, LlmException failure) {
      return new RecordingProvider(name, List.of(), failure);
    }

    /** Holds every call asking for reply {@code n} (1-based) until {@link #release()}. */
    synchronized RecordingProvider holdReply(int n) {
      holdReply = n;
      return this;
    }

    /** Answers every held call and stops holding. */
    void release() {
      List<Runnable> answers;
      synchronized (this) {
        holdReply = 0;
        answers = List.copyOf(held);
        held.clear();
      }
      answers.forEach(Runnable::run);
    }

    List<LlmRequest> requests() {
      return List.copyOf(requests);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public CompletionStage<LlmResponse> complete(LlmRequest request, Consumer<String> onToken) {
      requests.add(request);
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      long n = request.messages().stream().filter(m -> "assistant".equals(m.role())).count() + 1;
      synchronized (this) {
        if (n == holdReply) {
          CompletableFuture<LlmResponse> later = new CompletableFuture<>();
          held.add(() -> script.complete(request, onToken).whenComplete((r, e) -> {
            if (e != null) {
              later.completeExceptionally(e);
            } else {
              later.complete(r);
            }
          }));
          return later;
        }
      }
      return script.complete(request, onToken);
    }
  }

  /** A tool whose behaviour is the given function; records each run by its call id, in order. */
  static final class RecordingTool implements Tool {
    private final String name;
    private final BiFunction<ToolContext, JsonNode, CompletionStage<JsonNode>> body;
    private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final List<String> order = new CopyOnWriteArrayList<>();

    RecordingTool(String name, BiFunction<ToolContext, JsonNode, CompletionStage<JsonNode>> body) {
      this.name = name;
      this.body = body;
    }

    /** Answers at once with {"echo": arguments}. */
    static RecordingTool counting(String name) {
      return new RecordingTool(name, (ctx, args) ->
          CompletableFuture.completedFuture(json("{\"echo\":" + args + "}")));
    }

    /** Answers with whatever completes {@code gate}, whenever the test completes it. */
    static RecordingTool gated(String name, CompletableFuture<JsonNode> gate) {
      return new RecordingTool(name, (ctx, args) -> gate.thenApply(value -> value));
    }

    static RecordingTool failing(String name, String message) {
      return new RecordingTool(name, (ctx, args) -> CompletableFuture.failedFuture(new ToolException(message)));
    }

    static RecordingTool neverCompleting(String name) {
      return new RecordingTool(name, (ctx, args) -> new CompletableFuture<>());
    }

    /** How often the tool ran with this call id (the id a tool sees: "{sessionId}/{model's call id}"). */
    int runs(String callId) {
      AtomicInteger n = runs.get(callId);
      return n == null ? 0 : n.get();
    }

    /** Call id → runs, for every call id seen. */
    Map<String, Integer> runsByCallId() {
      Map<String, Integer> copy = new TreeMap<>();
      runs.forEach((id, n) -> copy.put(id, n.get()));
      return copy;
    }

    /** Call ids in the order the runs started. */
    List<String> order() {
      return List.copyOf(order);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String description() {
      return "test tool " + name;
    }

    @Override
    public JsonNode parameters() {
      return json("{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}");
    }

    @Override
    public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
      runs.computeIfAbsent(context.callId(), id -> new AtomicInteger()).incrementAndGet();
      order.add(context.callId());
      return body.apply(context, arguments);
    }
  }
}
