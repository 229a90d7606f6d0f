package io.troupe.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.util.ByteString;

/**
 * The chat door's answers in OpenAI's shapes: a {@code chat.completion} object, and the
 * {@code chat.completion.chunk} events of a stream as SSE lines ({@code data: {...}}, ending with
 * {@code data: [DONE]}). One instance per answered turn: every chunk carries the same id, time
 * and model, as OpenAI's do.
 *
 * @param id      {@code chatcmpl-{sessionId}-{turn}}: the same turn always has the same id
 * @param created the answer's start, in epoch seconds
 * @param model   the agent's name
 */
record ChatResponses(String id, long created, String model) {

  static final ByteString DONE = ByteString.fromString("data: [DONE]\n\n");
  /** An SSE comment: OpenAI's clients skip it, proxies see traffic. */
  static final ByteString KEEP_ALIVE = ByteString.fromString(": keep-alive\n\n");

  static ChatResponses of(String sessionId, int turn, String model) {
    return new ChatResponses("chatcmpl-" + sessionId + "-" + turn, System.currentTimeMillis() / 1000, model);
  }

  /** The whole answer (non-streaming). */
  ObjectNode completion(ChatTurn.Answered answered) {
    ObjectNode body = head("chat.completion");
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant").put("content", answered.content()).putNull("refusal");
    choice.putNull("logprobs");
    choice.put("finish_reason", "stop");
    body.set("usage", usage(answered));
    return body;
  }

  /** The stream's first chunk: the assistant's role, no text yet. */
  ByteString roleChunk(boolean includeUsage) {
    ObjectNode chunk = chunk(includeUsage);
    delta(chunk).put("role", "assistant").put("content", "");
    return sse(chunk);
  }

  ByteString textChunk(String text, boolean includeUsage) {
    ObjectNode chunk = chunk(includeUsage);
    delta(chunk).put("content", text);
    return sse(chunk);
  }

  /**
   * The stream's end: a chunk with {@code finish_reason} "stop"; then, with {@code include_usage},
   * OpenAI's usage chunk (no choices), else the usage rides on the finishing chunk; then [DONE].
   */
  ByteString finish(ChatTurn.Answered answered, boolean includeUsage) {
    ObjectNode chunk = chunk(includeUsage);
    ObjectNode choice = (ObjectNode) chunk.get("choices").get(0);
    choice.putObject("delta");
    choice.put("finish_reason", "stop");
    if (!includeUsage) {
      chunk.set("usage", usage(answered));
      return sse(chunk).concat(DONE);
    }
    ObjectNode usageChunk = head("chat.completion.chunk");
    usageChunk.putArray("choices");
    usageChunk.set("usage", usage(answered));
    return sse(chunk).concat(sse(usageChunk)).concat(DONE);
  }

  /** An error after the stream began: OpenAI's clients raise it as an API error. No [DONE] follows. */
  static ByteString error(int status, String message, String code) {
    return sse(Json.MAPPER.valueToTree(new OpenAiErrors.Body(
        new OpenAiErrors.Error(message, OpenAiErrors.typeFor(status), null, code))));
  }

  private ObjectNode head(String object) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("id", id).put("object", object).put("created", created).put("model", model);
    body.putNull("system_fingerprint");
    return body;
  }

  private ObjectNode chunk(boolean includeUsage) {
    ObjectNode chunk = head("chat.completion.chunk");
    ArrayNode choices = chunk.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    choice.putObject("delta");
    choice.putNull("logprobs");
    choice.putNull("finish_reason");
    if (includeUsage) {
      chunk.putNull("usage");
    }
    return chunk;
  }

  private static ObjectNode delta(ObjectNode chunk) {
    return (ObjectNode) chunk.get("choices").get(0).get("delta");
  }

  private static ObjectNode usage(ChatTurn.Answered answered) {
    ObjectNode usage = Json.MAPPER.createObjectNode();
    usage.put("prompt_tokens", answered.promptTokens()).put("completion_tokens", answered.completionTokens())
        .put("total_tokens", answered.promptTokens() + answered.completionTokens());
    return usage;
  }

  private static ByteString sse(Object json) {
    return ByteString.fromString("data: ").concat(ByteString.fromArray(Json.bytes(json))).concat(ByteString.fromString("\n\n"));
  }
}
