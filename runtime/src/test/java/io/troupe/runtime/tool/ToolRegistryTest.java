package io.troupe.runtime.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.llm.ToolSchema;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** Every way a call can go wrong ends as an error outcome; none fails the stage. */
class ToolRegistryTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ToolContext CONTEXT = new ToolContext("session-1", "scout", "call-1", Duration.ofSeconds(5));
  private static final String SCHEMA = """
      {"type":"object","properties":{"n":{"type":"integer","minimum":0}},"required":["n"],"additionalProperties":false}
      """;

  /** A tool whose behaviour is the given function; counts its calls. */
  private static final class FakeTool implements Tool {
    final String name;
    final BiFunction<ToolContext, JsonNode, CompletionStage<JsonNode>> body;
    final AtomicInteger calls = new AtomicInteger();

    FakeTool(String name, BiFunction<ToolContext, JsonNode, CompletionStage<JsonNode>> body) {
      this.name = name;
      this.body = body;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String description() {
      return "a fake " + name;
    }

    @Override
    public JsonNode parameters() {
      return ToolJson.parse(SCHEMA);
    }

    @Override
    public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
      calls.incrementAndGet();
      return body.apply(context, arguments);
    }
  }

  private static final FakeTool DOUBLER = new FakeTool("double_it", (ctx, args) ->
      CompletableFuture.completedFuture(JSON.createObjectNode().put("n", args.get("n").asLong() * 2)));

  private static ToolOutcome invoke(ToolRegistry registry, String name, String args, ToolContext ctx) throws Exception {
    return registry.invoke(name, args, ctx).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static ToolOutcome invoke(ToolRegistry registry, String name, String args) throws Exception {
    return invoke(registry, name, args, CONTEXT);
  }

  private static void assertError(ToolOutcome outcome, String fragment) {
    assertFalse(outcome.ok(), () -> "expected an error, got " + outcome);
    assertNull(outcome.result());
    assertTrue(outcome.error().contains(fragment), () -> "error should mention '" + fragment + "': " + outcome.error());
  }

  @Test
  void successCarriesTheResultAndDuration() throws Exception {
    FakeTool slow = new FakeTool("slow_double", (ctx, args) -> CompletableFuture.supplyAsync(
        () -> JSON.createObjectNode().put("n", args.get("n").asLong() * 2),
        CompletableFuture.delayedExecutor(150, TimeUnit.MILLISECONDS)));
    ToolRegistry registry = new ToolRegistry().register(slow);
    ToolOutcome outcome = invoke(registry, "slow_double", "{\"n\":21}");
    assertTrue(outcome.ok(), outcome::toString);
    assertEquals("{\"n\":42}", outcome.result());
    assertNull(outcome.error());
    assertTrue(outcome.durationMillis() >= 150 && outcome.durationMillis() < 5000, outcome::toString);
  }

  @Test
  void duplicateAndMalformedRegistrationsAreRejected() {
    ToolRegistry registry = new ToolRegistry().register(DOUBLER);
    assertThrows(IllegalArgumentException.class, () -> registry.register(DOUBLER));
    assertThrows(IllegalArgumentException.class, () -> registry.register(new FakeTool("Bad-Name", DOUBLER.body)));
    assertEquals(Set.of("double_it"), registry.names());
    assertTrue(registry.get("double_it").isPresent());
    assertTrue(registry.get("nope").isEmpty());
  }

  @Test
  void schemasFollowTheAskedOrderAndSkipUnknownNames() {
    FakeTool other = new FakeTool("other", DOUBLER.body);
    ToolRegistry registry = new ToolRegistry().register(DOUBLER).register(other);
    List<ToolSchema> schemas = registry.schemas(List.of("other", "missing", "double_it", "other"));
    assertEquals(List.of("other", "double_it"), schemas.stream().map(ToolSchema::name).toList());
    assertEquals("a fake other", schemas.get(0).description());
    assertEquals(ToolJson.parse(SCHEMA), ToolJson.parse(schemas.get(0).parametersJsonSchema()));
  }

  @Test
  void unknownToolIsAnErrorListingTheAvailableOnes() throws Exception {
    ToolRegistry registry = new ToolRegistry().register(DOUBLER);
    assertError(invoke(registry, "triple_it", "{\"n\":1}"), "unknown tool 'triple_it'; available tools: double_it");
  }

  @Test
  void unparsableArgumentsAreAnErrorAndTheToolIsNotCalled() throws Exception {
    FakeTool tool = new FakeTool("counted", DOUBLER.body);
    ToolRegistry registry = new ToolRegistry().register(tool);
    assertError(invoke(registry, "counted", "{\"n\": 1"), "arguments are not valid JSON");
    assertEquals(0, tool.calls.get());
  }

  /** Issue 13, point 14: text CBOR cannot hold never reaches a tool nor leaves one. */
  @Test
  void loneSurrogatesInArgumentsOrResultsAreErrorsAJournalCanHold() throws Exception {
    FakeTool tool = new FakeTool("counted", DOUBLER.body);
    FakeTool broken = new FakeTool("broken", (ctx, args) -> CompletableFuture.completedFuture(
        JSON.createObjectNode().put("text", "cut \ud83d")));
    ToolRegistry registry = new ToolRegistry().register(tool).register(broken);
    assertError(invoke(registry, "counted", "{\"n\": 1, \"k\": [\"\\udc00 alone\"]}"), "lone UTF-16 surrogate at /k/0");
    assertError(invoke(registry, "counted", "{\"n\": 1, \"\\ud800\": 2}"), "lone UTF-16 surrogate at /\ufffd");
    assertEquals(0, tool.calls.get());
    // A surrogate pair is valid Unicode: it passes on to the schema, which allows no "pair" field.
    assertError(invoke(registry, "counted", "{\"n\": 1, \"pair\": \"\\ud83d\\ude00\"}"), "$.pair");
    ToolOutcome outcome = invoke(registry, "broken", "{\"n\": 1}");
    assertError(outcome, "the tool's result held a lone UTF-16 surrogate");
    assertEquals(-1, io.troupe.runtime.StorableText.loneSurrogateAt(outcome.error()));
  }

  @Test
  void schemaViolationsAreAnErrorNamingThePathAndTheToolIsNotCalled() throws Exception {
    FakeTool tool = new FakeTool("counted", DOUBLER.body);
    ToolRegistry registry = new ToolRegistry().register(tool);
    assertError(invoke(registry, "counted", "{\"n\": -1, \"m\": 2}"), "$.n: must be at least 0");
    assertError(invoke(registry, "counted", "{}"), "$.n: is required");
    assertError(invoke(registry, "counted", ""), "$.n: is required");
    assertError(invoke(registry, "counted", "[1]"), "$: must be of type object (was array)");
    assertEquals(0, tool.calls.get());
  }

  @Test
  void toolExceptionMessageIsTheError() throws Exception {
    ToolRegistry registry = new ToolRegistry()
        .register(new FakeTool("refuses", (ctx, args) -> CompletableFuture.failedFuture(new ToolException("no such frequency"))))
        .register(new FakeTool("throws_now", (ctx, args) -> {
          throw new ToolException("refused at once");
        }));
    ToolOutcome outcome = invoke(registry, "refuses", "{\"n\":1}");
    assertError(outcome, "no such frequency");
    assertEquals("no such frequency", outcome.error());
    assertEquals("refused at once", invoke(registry, "throws_now", "{\"n\":1}").error());
  }

  @Test
  void otherExceptionsAreErrorsToo() throws Exception {
    ToolRegistry registry = new ToolRegistry()
        .register(new FakeTool("buggy", (ctx, args) -> CompletableFuture.supplyAsync(() -> {
          throw new IllegalStateException("index out of whack");
        })))
        .register(new FakeTool("buggy_now", (ctx, args) -> {
          throw new NullPointerException("oops");
        }))
        .register(new FakeTool("no_stage", (ctx, args) -> null));
    assertError(invoke(registry, "buggy", "{\"n\":1}"), "tool buggy failed: IllegalStateException: index out of whack");
    assertError(invoke(registry, "buggy_now", "{\"n\":1}"), "tool buggy_now failed: NullPointerException: oops");
    assertError(invoke(registry, "no_stage", "{\"n\":1}"), "returned no result");
  }

  @Test
  void aToolThatNeverAnswersTimesOutPromptly() throws Exception {
    ToolRegistry registry = new ToolRegistry()
        .register(new FakeTool("hangs", (ctx, args) -> new CompletableFuture<>()));
    ToolContext shortCall = new ToolContext("session-1", "scout", "call-2", Duration.ofMillis(300));
    long start = System.nanoTime();
    ToolOutcome outcome = invoke(registry, "hangs", "{\"n\":1}", shortCall);
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertError(outcome, "tool hangs did not finish within 300 ms");
    assertTrue(elapsedMillis >= 290 && elapsedMillis < 3000, "took " + elapsedMillis + " ms");
    assertTrue(outcome.durationMillis() >= 290, outcome::toString);
  }

  @Test
  void longErrorsAreCut() throws Exception {
    ToolRegistry registry = new ToolRegistry()
        .register(new FakeTool("verbose", (ctx, args) -> CompletableFuture.failedFuture(new ToolException("x".repeat(10_000)))));
    ToolOutcome outcome = invoke(registry, "verbose", "{\"n\":1}");
    assertEquals(ToolOutcome.MAX_ERROR_CHARS, outcome.error().length());
    assertTrue(outcome.error().endsWith("(truncated)"));
  }
}
