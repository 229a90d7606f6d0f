package io.troupe.runtime.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Not a model: for tests and offline demos only. Returns the replies written in an agent's
 * definition, in order: the n-th call of a session (counted by the assistant messages already in
 * the conversation, with those the context window left out of the request) gets the n-th reply, so a session that resumes on another node gets the same
 * reply again. Tool call ids are "call_{n}_{i}", stable for the same reason.
 */
public final class ScriptedProvider implements LlmProvider {

  public static final String NAME = "scripted";

  /** One reply of the script: text, tool calls (name and arguments as JSON text), or both. */
  public record Reply(String text, List<Call> toolCalls) {}

  public record Call(String name, String argumentsJson) {}

  private final List<Reply> script;

  public ScriptedProvider(List<Reply> script) {
    this.script = List.copyOf(script);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CompletionStage<LlmResponse> complete(LlmRequest request, Consumer<String> onToken) {
    int n = request.omittedReplies()
        + (int) request.messages().stream().filter(m -> "assistant".equals(m.role())).count();
    if (n >= script.size()) {
      return CompletableFuture.failedFuture(new LlmException(NAME, 0, "the script has " + script.size()
          + " replies and reply " + (n + 1) + " was asked for"));
    }
    Reply reply = script.get(n);
    List<ToolCall> calls = new ArrayList<>();
    for (int i = 0; i < reply.toolCalls().size(); i++) {
      Call c = reply.toolCalls().get(i);
      calls.add(new ToolCall("call_" + (n + 1) + "_" + (i + 1), c.name(), c.argumentsJson()));
    }
    String text = reply.text() == null ? "" : reply.text();
    if (!text.isEmpty()) {
      onToken.accept(text);
    }
    // Token counts are a rough stand-in (characters / 4) so usage figures are not all zero in demos.
    long in = request.messages().stream().mapToLong(m -> m.content() == null ? 0 : m.content().length()).sum() / 4;
    return CompletableFuture.completedFuture(new LlmResponse(text, calls, new Usage(in, text.length() / 4),
        calls.isEmpty() ? "stop" : "tool_calls"));
  }
}
