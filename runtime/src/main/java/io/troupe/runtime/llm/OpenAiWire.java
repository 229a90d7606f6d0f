package io.troupe.runtime.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/** The Chat Completions wire format: the request body, and the streamed or plain answer. */
final class OpenAiWire {

  private OpenAiWire() {}

  /** The body of POST /chat/completions, streaming with usage in the last chunk. */
  static ObjectNode requestBody(LlmRequest request) {
    ObjectNode root = SseLines.JSON.createObjectNode();
    root.put("model", request.model());
    ArrayNode messages = root.putArray("messages");
    for (ChatMessage message : request.messages()) {
      messages.add(message(message));
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = root.putArray("tools");
      for (ToolSchema tool : request.tools()) {
        ObjectNode function = tools.addObject().put("type", "function").putObject("function");
        function.put("name", tool.name());
        if (tool.description() != null) {
          function.put("description", tool.description());
        }
        function.set("parameters", schema(tool));
      }
    }
    root.put("temperature", request.temperature());
    if (request.maxOutputTokens() > 0) {
      root.put("max_tokens", request.maxOutputTokens());
    }
    root.put("stream", true);
    root.putObject("stream_options").put("include_usage", true);
    return root;
  }

  private static ObjectNode message(ChatMessage message) {
    ObjectNode node = SseLines.JSON.createObjectNode();
    String content = message.content() == null ? "" : message.content();
    switch (message.role()) {
      case "system", "user" -> node.put("role", message.role()).put("content", content);
      case "assistant" -> {
        node.put("role", "assistant");
        if (content.isEmpty() && !message.toolCalls().isEmpty()) {
          node.putNull("content");
        } else {
          node.put("content", content);
        }
        if (!message.toolCalls().isEmpty()) {
          ArrayNode calls = node.putArray("tool_calls");
          for (ToolCall call : message.toolCalls()) {
            ObjectNode callNode = calls.addObject().put("id", call.id()).put("type", "function");
            callNode.putObject("function").put("name", call.name())
                .put("arguments", call.argumentsJson() == null || call.argumentsJson().isBlank()
                    ? "{}" : call.argumentsJson());
          }
        }
      }
      case "tool" -> node.put("role", "tool").put("tool_call_id", message.toolCallId()).put("content", content);
      default -> throw new IllegalArgumentException("unknown message role: " + message.role());
    }
    return node;
  }

  static ObjectNode schema(ToolSchema tool) {
    ObjectNode schema = SseLines.parseObject(tool.parametersJsonSchema(), "parameters of tool " + tool.name());
    if (schema.isEmpty()) {
      schema.put("type", "object").putObject("properties");
    }
    return schema;
  }

  /** Reads the SSE chunks (or a plain chat.completion object) into one reply. */
  static final class Answer extends SseLines {
    private final Consumer<String> onToken;
    private final StringBuilder text = new StringBuilder();
    private final Map<Integer, PartialCall> calls = new TreeMap<>();
    private String finishReason;
    private Usage usage = Usage.NONE;
    private boolean done;

    Answer(String provider, Consumer<String> onToken) {
      super(provider);
      this.onToken = onToken;
    }

    @Override
    protected void onEvent(String event, String data) {
      if (data.strip().equals("[DONE]")) {
        done = true;
        return;
      }
      JsonNode chunk = parse(data);
      failOnError(chunk);
      readUsage(chunk.path("usage"));
      JsonNode choice = chunk.path("choices").path(0);
      if (choice.isMissingNode()) {
        return;
      }
      JsonNode delta = choice.path("delta");
      if (delta.path("content").isTextual()) {
        String fragment = delta.path("content").asText();
        text.append(fragment);
        emit(onToken, fragment);
      }
      for (JsonNode fragment : delta.path("tool_calls")) {
        int index = fragment.path("index").isInt() ? fragment.path("index").asInt()
            : fragment.hasNonNull("id") || calls.isEmpty() ? calls.size() : calls.size() - 1;
        PartialCall call = calls.computeIfAbsent(index, i -> new PartialCall());
        if (fragment.path("id").isTextual()) {
          call.id = fragment.path("id").asText();
        }
        JsonNode function = fragment.path("function");
        if (function.path("name").isTextual()) {
          call.name = function.path("name").asText();
        }
        if (function.path("arguments").isTextual()) {
          call.arguments.append(function.path("arguments").asText());
        }
      }
      if (choice.path("finish_reason").isTextual()) {
        finishReason = choice.path("finish_reason").asText();
      }
    }

    @Override
    protected LlmResponse onStreamEnd() {
      if (!done && finishReason == null) {
        throw new LlmException(provider, 0, "stream ended before the answer was complete (no finish_reason, no [DONE])");
      }
      List<ToolCall> toolCalls = new ArrayList<>();
      calls.forEach((index, call) -> toolCalls.add(call.toToolCall(provider, index)));
      return new LlmResponse(text.toString(), toolCalls, usage, finishReason);
    }

    @Override
    protected LlmResponse onJsonBody(JsonNode body) {
      failOnError(body);
      JsonNode choice = body.path("choices").path(0);
      if (!choice.path("message").isObject()) {
        throw new LlmException(provider, 0, "malformed response: no choices[0].message in " + shorten(body.toString()));
      }
      JsonNode message = choice.path("message");
      String content = message.path("content").isTextual() ? message.path("content").asText() : "";
      emit(onToken, content);
      List<ToolCall> toolCalls = new ArrayList<>();
      int index = 0;
      for (JsonNode call : message.path("tool_calls")) {
        PartialCall partial = new PartialCall();
        partial.id = call.path("id").isTextual() ? call.path("id").asText() : null;
        partial.name = call.path("function").path("name").asText(null);
        JsonNode arguments = call.path("function").path("arguments");
        // Some servers send the arguments as an object rather than as JSON text.
        partial.arguments.append(arguments.isTextual() ? arguments.asText() : arguments.isObject() ? arguments.toString() : "");
        toolCalls.add(partial.toToolCall(provider, index++));
      }
      readUsage(body.path("usage"));
      return new LlmResponse(content, toolCalls, usage,
          choice.path("finish_reason").isTextual() ? choice.path("finish_reason").asText() : null);
    }

    private void readUsage(JsonNode node) {
      if (node.isObject()) {
        usage = new Usage(node.path("prompt_tokens").asLong(0), node.path("completion_tokens").asLong(0));
      }
    }
  }

  private static final class PartialCall {
    String id;
    String name;
    final StringBuilder arguments = new StringBuilder();

    ToolCall toToolCall(String provider, int index) {
      if (name == null || name.isEmpty()) {
        throw new LlmException(provider, 0, "malformed response: tool call " + index + " has no function name");
      }
      String args = arguments.toString().isBlank() ? "{}" : arguments.toString();
      return new ToolCall(id == null ? "call_" + index : id, name, args);
    }
  }
}
