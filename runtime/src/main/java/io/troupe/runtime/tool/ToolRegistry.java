package io.troupe.runtime.tool;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.StorableText;
import io.troupe.runtime.llm.ToolSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools a node offers, by name, and the one place they are called from.
 *
 * <p>{@link #invoke} turns everything that can go wrong in a call — an unknown tool, arguments
 * that are not JSON or break the tool's schema, a {@link ToolException}, any other exception, a
 * tool that takes longer than the context's timeout — into an error {@link ToolOutcome} for the
 * model. Its stage never fails, so a session can journal every outcome and go on.
 *
 * <p>A tool's {@link Tool#call} runs on the caller's thread up to its first asynchronous step;
 * tools must not block there (the SPI says so), as the timeout only bounds the returned stage.
 * When a call times out, the tool's own work is not interrupted; its late result is dropped.
 */
public final class ToolRegistry {

  private static final Logger log = LoggerFactory.getLogger(ToolRegistry.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** lower_snake_case, and within the 64 characters model APIs accept for a function name. */
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

  private final Map<String, Tool> tools = new ConcurrentHashMap<>();

  /** Adds {@code tool}; rejects a name already taken or not lower_snake_case, and a non-object schema. */
  public ToolRegistry register(Tool tool) {
    Objects.requireNonNull(tool, "tool");
    String name = tool.name();
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("tool name must be lower_snake_case, 1-64 characters: " + name);
    }
    JsonNode parameters = tool.parameters();
    if (parameters == null || !parameters.isObject()) {
      throw new IllegalArgumentException("tool " + name + ": parameters must be a JSON Schema object");
    }
    if (tools.putIfAbsent(name, tool) != null) {
      throw new IllegalArgumentException("a tool named " + name + " is already registered");
    }
    return this;
  }

  public Optional<Tool> get(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(tools.get(name));
  }

  /** The registered names, sorted. */
  public Set<String> names() {
    return Set.copyOf(new TreeSet<>(tools.keySet()));
  }

  /**
   * The schemas of the named tools, in the order asked, to offer a model. Names not registered on
   * this node are left out (e.g. {@code http_get} where no host is allowed); should the model call
   * one anyway, it gets an "unknown tool" error.
   */
  public List<ToolSchema> schemas(List<String> names) {
    List<ToolSchema> schemas = new ArrayList<>();
    for (String name : new LinkedHashSet<>(names)) {
      Tool tool = tools.get(name);
      if (tool != null) {
        schemas.add(new ToolSchema(tool.name(), tool.description(), tool.parameters().toString()));
      }
    }
    return List.copyOf(schemas);
  }

  /**
   * Validates {@code argumentsJson} (blank counts as {@code {}}) against the tool's schema, calls
   * it, and reports the outcome with its duration. Completes within {@code context.timeout()}
   * (plus scheduling slack) and never exceptionally.
   */
  public CompletionStage<ToolOutcome> invoke(String name, String argumentsJson, ToolContext context) {
    Objects.requireNonNull(context, "context");
    long start = System.nanoTime();
    CompletableFuture<ToolOutcome> outcome;
    try {
      outcome = start(name, argumentsJson, context);
    } catch (RuntimeException e) {
      outcome = CompletableFuture.completedFuture(unexpected(name, e));
    }
    return outcome.thenApply(ToolRegistry::storable)
        .thenApply(o -> o.withDurationMillis(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
  }

  private CompletableFuture<ToolOutcome> start(String name, String argumentsJson, ToolContext context) {
    Tool tool = tools.get(name == null ? "" : name);
    if (tool == null) {
      return done(ToolOutcome.error("unknown tool '" + name + "'; available tools: " + String.join(", ", names())));
    }
    JsonNode arguments;
    try {
      arguments = argumentsJson == null || argumentsJson.isBlank()
          ? JSON.createObjectNode()
          : JSON.readTree(argumentsJson);
    } catch (JsonProcessingException e) {
      return done(ToolOutcome.error("arguments are not valid JSON: " + e.getOriginalMessage()));
    }
    // Refused before the tool runs: whatever it did with such text (publish it, start a session
    // with it, echo it back) could not be journaled, and the entity would restart trying.
    Optional<String> surrogate = StorableText.loneSurrogateIn(arguments);
    if (surrogate.isPresent()) {
      return done(ToolOutcome.error("arguments hold " + StorableText.describe(surrogate.get())));
    }
    List<String> problems = JsonSchemaValidator.validate(tool.parameters(), arguments);
    if (!problems.isEmpty()) {
      return done(ToolOutcome.error("invalid arguments for " + name + ": " + String.join("; ", problems)));
    }
    Duration timeout = context.timeout();
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      return done(ToolOutcome.error("tool call has no time to run (timeout " + timeout + ")"));
    }

    // A fresh future we own: the tool's stage may not support toCompletableFuture, and orTimeout
    // on ours completes it even if the tool's never does.
    CompletableFuture<JsonNode> result = new CompletableFuture<>();
    CompletionStage<JsonNode> call;
    try {
      call = tool.call(context, arguments);
    } catch (RuntimeException e) {
      return done(failure(name, timeout, e));
    }
    if (call == null) {
      return done(ToolOutcome.error("tool " + name + " returned no result"));
    }
    call.whenComplete((value, error) -> {
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        result.complete(value);
      }
    });
    return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((value, error) -> error == null ? success(value) : failure(name, timeout, error));
  }

  /**
   * A session journals every outcome: one it could not store becomes an error it can (without
   * the tool's name, which came from the model too).
   */
  private static ToolOutcome storable(ToolOutcome outcome) {
    if (StorableText.hasLoneSurrogate(outcome.result()) || StorableText.hasLoneSurrogate(outcome.error())) {
      return ToolOutcome.error("the tool's " + (outcome.ok() ? "result" : "error") + " held " + StorableText.describe(""));
    }
    return outcome;
  }

  private static ToolOutcome success(JsonNode value) {
    return ToolOutcome.ok(value == null ? "null" : value.toString());
  }

  private static ToolOutcome failure(String name, Duration timeout, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof ToolException || cause instanceof io.troupe.runtime.service.Refused) {
      return ToolOutcome.error(cause.getMessage());
    }
    if (cause instanceof TimeoutException) {
      return ToolOutcome.error("tool " + name + " did not finish within " + timeout.toMillis() + " ms");
    }
    return unexpected(name, cause);
  }

  private static ToolOutcome unexpected(String name, Throwable cause) {
    log.warn("Tool {} failed unexpectedly", name, cause);
    String message = cause.getMessage();
    return ToolOutcome.error("tool " + name + " failed: " + cause.getClass().getSimpleName()
        + (message == null ? "" : ": " + message));
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static CompletableFuture<ToolOutcome> done(ToolOutcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }
}
