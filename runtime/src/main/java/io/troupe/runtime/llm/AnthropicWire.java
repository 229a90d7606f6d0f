package io.troupe.runtime.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/** The Messages API wire format: the request body, and the streamed or plain answer. */
final class AnthropicWire {

  private AnthropicWire() {}

  /**
   * The body of POST /v1/messages. System messages become the top-level {@code system}; tool
   * results go back as user messages of {@code tool_result} blocks, consecutive ones merged.
   */
  static ObjectNode requestBody(LlmRequest request, int maxTokens) {
    ObjectNode root = SseLines.JSON.createObjectNode();
    root.put("model", request.model());
    root.put("max_tokens", maxTokens);
    StringBuilder system = new StringBuilder();
    ArrayNode messages = SseLines.JSON.createArrayNode();
    ArrayNode openToolResults = null;
    for (ChatMessage message : request.messages()) {
      String content = message.content() == null ? "" : message.content();
      switch (message.role()) {
        case "system" -> {
          system.append(system.length() > 0 ? "\n\n" : "").append(content);
          continue;
        }
        case "user" -> messages.addObject().put("role", "user").put("content", content);
        case "assistant" -> addAssistant(messages, content, message.toolCalls());
        case "tool" -> {
          if (openToolResults == null) {
            openToolResults = messages.addObject().put("role", "user").putArray("content");
          }
          openToolResults.addObject().put("type", "tool_result")
              .put("tool_use_id", message.toolCallId()).put("content", content);
          continue;
        }
        default -> throw new IllegalArgumentException("unknown message role: " + message.role());
      }
      openToolResults = null;
    }
    if (system.length() > 0) {
      root.put("system", system.toString());
    }
    root.set("messages", messages);
    if (!request.tools().isEmpty()) {
      ArrayNode tools = root.putArray("tools");
      for (ToolSchema tool : request.tools()) {
        ObjectNode node = tools.addObject().put("name", tool.name());
        if (tool.description() != null) {
          node.put("description", tool.description());
        }
        node.set("input_schema", OpenAiWire.schema(tool));
      }
    }
    root.put("temperature", request.temperature());
    root.put("stream", true);
    return root;
  }

  private static void addAssistant(ArrayNode messages, String content, List<ToolCall> toolCalls) {
    if (toolCalls.isEmpty()) {
      if (!content.isEmpty()) {
        // The API refuses empty text; an empty assistant turn carries nothing anyway.
        messages.addObject().put("role", "assistant").put("content", content);
      }
      return;
    }
    ArrayNode blocks = messages.addObject().put("role", "assistant").putArray("content");
    if (!content.isBlank()) {
      blocks.addObject().put("type", "text").put("text", content);
    }
    for (ToolCall call : toolCalls) {
      blocks.addObject().put("type", "tool_use").put("id", call.id()).put("name", call.name())
          .set("input", SseLines.parseObject(call.argumentsJson(), "arguments of tool call " + call.id()));
    }
  }

  /** Reads the event stream (or a plain message object) into one reply. */
  static final class Answer extends SseLines {
    private final Consumer<String> onToken;
    private final Map<Integer, Block> blocks = new TreeMap<>();
    private long inputTokens;
    private long outputTokens;
    private String stopReason;
    private boolean done;

    Answer(String provider, Consumer<String> onToken) {
      super(provider);
      this.onToken = onToken;
    }

    @Override
    protected void onEvent(String event, String data) {
      JsonNode node = parse(data);
      String type = node.path("type").asText(event == null ? "" : event);
      switch (type) {
        case "message_start" -> readUsage(node.path("message").path("usage"));
        case "content_block_start" -> {
          JsonNode start = node.path("content_block");
          Block block = blocks.computeIfAbsent(node.path("index").asInt(blocks.size()), i -> new Block());
          block.type = start.path("type").asText();
          block.id = start.path("id").asText(null);
          block.name = start.path("name").asText(null);
          if (start.path("input").isObject() && !start.path("input").isEmpty()) {
            block.json.append(start.path("input"));
          }
          appendText(block, start.path("text").asText(""));
        }
        case "content_block_delta" -> {
          Block block = blocks.computeIfAbsent(node.path("index").asInt(), i -> new Block());
          JsonNode delta = node.path("delta");
          switch (delta.path("type").asText()) {
            case "text_delta" -> appendText(block, delta.path("text").asText(""));
            case "input_json_delta" -> block.json.append(delta.path("partial_json").asText(""));
            default -> { } // thinking and signature deltas carry nothing the SPI keeps
          }
        }
        case "message_delta" -> {
          if (node.path("delta").path("stop_reason").isTextual()) {
            stopReason = node.path("delta").path("stop_reason").asText();
          }
          readUsage(node.path("usage"));
        }
        case "message_stop" -> done = true;
        case "error" -> throw new LlmException(provider, 0, "error in stream: " + ProviderHttp.errorMessage(data));
        default -> { } // ping, content_block_stop, and event types added later
      }
    }

    @Override
    protected LlmResponse onStreamEnd() {
      if (!done) {
        throw new LlmException(provider, 0, "stream ended before message_stop");
      }
      StringBuilder text = new StringBuilder();
      List<ToolCall> toolCalls = new ArrayList<>();
      for (Block block : blocks.values()) {
        if ("text".equals(block.type)) {
          text.append(block.text);
        } else if ("tool_use".equals(block.type)) {
          toolCalls.add(toolCall(block.id, block.name, block.json.toString()));
        }
      }
      return new LlmResponse(text.toString(), toolCalls, new Usage(inputTokens, outputTokens), stopReason);
    }

    @Override
    protected LlmResponse onJsonBody(JsonNode body) {
      failOnError(body);
      if (!body.path("content").isArray()) {
        throw new LlmException(provider, 0, "malformed response: no content array in " + shorten(body.toString()));
      }
      StringBuilder text = new StringBuilder();
      List<ToolCall> toolCalls = new ArrayList<>();
      for (JsonNode block : body.path("content")) {
        switch (block.path("type").asText()) {
          case "text" -> text.append(block.path("text").asText(""));
          case "tool_use" -> toolCalls.add(toolCall(block.path("id").asText(null), block.path("name").asText(null),
              block.path("input").isObject() ? block.path("input").toString() : "{}"));
          default -> { }
        }
      }
      emit(onToken, text.toString());
      readUsage(body.path("usage"));
      return new LlmResponse(text.toString(), toolCalls, new Usage(inputTokens, outputTokens),
          body.path("stop_reason").asText(null));
    }

    private void appendText(Block block, String fragment) {
      block.text.append(fragment);
      emit(onToken, fragment);
    }

    /** Input counts cached prompt tokens too, as OpenAI's prompt_tokens does. */
    private void readUsage(JsonNode usage) {
      if (usage.has("input_tokens")) {
        inputTokens = usage.path("input_tokens").asLong(0) + usage.path("cache_creation_input_tokens").asLong(0)
            + usage.path("cache_read_input_tokens").asLong(0);
      }
      if (usage.has("output_tokens")) {
        outputTokens = usage.path("output_tokens").asLong(0);
      }
    }

    private ToolCall toolCall(String id, String name, String json) {
      if (id == null || name == null) {
        throw new LlmException(provider, 0, "malformed response: a tool_use block without id or name");
      }
      return new ToolCall(id, name, json.isBlank() ? "{}" : json);
    }
  }

  private static final class Block {
    String type;
    String id;
    String name;
    final StringBuilder text = new StringBuilder();
    final StringBuilder json = new StringBuilder();
  }
}
