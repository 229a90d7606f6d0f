package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code POST /v1/chat/completions} body, read as Troupe runs it: {@code model} names the agent,
 * and {@code messages} become the turn's input.
 *
 * <ul>
 *   <li>The last message must be the user's: it is the input. Continuing a conversation
 *       ({@code X-Troupe-Session}), it is the only message used: the session holds the history.</li>
 *   <li>Starting a new session, earlier user and assistant messages (a client that sends the whole
 *       history each time) are folded into the input as a transcript before the last message, so
 *       the agent sees them; with none, the input is the last message as it is.</li>
 *   <li>{@code system} and {@code developer} messages are left out: the agent's own system prompt
 *       applies. {@code tool} and {@code function} messages are refused (400): Troupe runs the
 *       agent's own tools and never asks the client to.</li>
 *   <li>Content is a string or an array of {@code text} parts (joined by newlines); other parts
 *       (images, audio) are refused (400).</li>
 *   <li>{@code stream} and {@code stream_options.include_usage} are read; {@code n} may only be 1.
 *       Every other member (temperature, max_tokens, tools, response_format, user, ...) is
 *       ignored: the agent's own definition (model, temperature, tools) applies.</li>
 * </ul>
 *
 * @param model        the agent's name
 * @param input        the turn's input: the last user message, after the transcript when folded
 * @param stream       answer as chat.completion.chunk events
 * @param includeUsage with {@code stream}: usage in a last chunk of its own, as OpenAI sends it
 */
record ChatRequest(String model, String input, boolean stream, boolean includeUsage) {

  /** Most characters of a turn's input, the transcript included (as the session API's {@code input}). */
  static final int MAX_INPUT_CHARS = 100_000;
  /** Most messages one request may hold. */
  static final int MAX_MESSAGES = 1_000;

  static final String TRANSCRIPT_HEADING = "The conversation so far (earlier messages, oldest first):";
  static final String CURRENT_HEADING = "The user's message now:";

  /** The request, or the 400 that refuses it. */
  sealed interface Read {
    record Ok(ChatRequest request) implements Read {}

    record Invalid(String param, String message) implements Read {}
  }

  /** Reads {@code body}; {@code continuing}: an {@code X-Troupe-Session} header came with it. */
  static Read read(JsonNode body, boolean continuing) {
    JsonNode model = body.get("model");
    if (model == null || model.isNull()) {
      return new Read.Invalid("model", "is required: the name of the Troupe agent to run");
    }
    if (!model.isTextual() || model.textValue().isBlank()) {
      return new Read.Invalid("model", "must be an agent's name (a non-blank string)");
    }
    if (model.textValue().length() > 255) {
      return new Read.Invalid("model", "must be at most 255 characters");
    }
    Flag stream = flag(body, "stream");
    if (stream.error() != null) {
      return new Read.Invalid("stream", stream.error());
    }
    boolean includeUsage = false;
    JsonNode options = body.get("stream_options");
    if (options != null && !options.isNull()) {
      if (!options.isObject()) {
        return new Read.Invalid("stream_options", "must be an object");
      }
      Flag usage = flag(options, "include_usage");
      if (usage.error() != null) {
        return new Read.Invalid("stream_options.include_usage", usage.error());
      }
      includeUsage = usage.value();
    }
    JsonNode n = body.get("n");
    if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) {
      return new Read.Invalid("n", "only one choice is made (n = 1): an agent's turn has one answer");
    }
    JsonNode messages = body.get("messages");
    if (messages == null || messages.isNull()) {
      return new Read.Invalid("messages", "is required: an array of messages ending with the user's");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      return new Read.Invalid("messages", "must be a non-empty array of messages ending with the user's");
    }
    if (messages.size() > MAX_MESSAGES) {
      return new Read.Invalid("messages", "must hold at most " + MAX_MESSAGES + " messages (was " + messages.size()
          + "); continue a conversation with the X-Troupe-Session header instead of sending its history");
    }
    List<String[]> turns = new ArrayList<>(); // role, text: the user and assistant messages
    for (int i = 0; i < messages.size(); i++) {
      String where = "messages[" + i + "]";
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        return new Read.Invalid(where, "must be an object with role and content");
      }
      JsonNode role = message.get("role");
      if (role == null || !role.isTextual()) {
        return new Read.Invalid(where + ".role", "is required: system, developer, user or assistant");
      }
      switch (role.textValue()) {
        case "system", "developer" -> { } // the agent's own system prompt applies
        case "user", "assistant" -> {
          Text text = text(message.get("content"), where + ".content", role.textValue().equals("assistant"));
          if (text.error() != null) {
            return new Read.Invalid(where + ".content", text.error());
          }
          if (!text.value().isBlank() || role.textValue().equals("user")) {
            turns.add(new String[] {role.textValue(), text.value()});
          }
        }
        case "tool", "function" -> {
          return new Read.Invalid(where + ".role", "'" + role.textValue() + "' messages are not taken: the agent"
              + " runs its own tools inside Troupe and never asks the client to call one");
        }
        default -> {
          return new Read.Invalid(where + ".role", "must be system, developer, user or assistant, was '"
              + abbreviate(role.textValue()) + "'");
        }
      }
    }
    JsonNode last = messages.get(messages.size() - 1);
    if (!"user".equals(last.path("role").asText()) || turns.isEmpty()) {
      return new Read.Invalid("messages", "the last message must be the user's (role user): it is the agent's input");
    }
    String current = turns.get(turns.size() - 1)[1];
    if (current.isBlank()) {
      return new Read.Invalid("messages[" + (messages.size() - 1) + "].content", "must not be blank");
    }
    String input = continuing || turns.size() == 1 ? current : transcript(turns);
    if (input.indexOf('\u0000') >= 0) {
      return new Read.Invalid("messages", "must not contain the NUL character");
    }
    if (input.length() > MAX_INPUT_CHARS) {
      return new Read.Invalid("messages", (input == current ? "the last user message" : "the conversation sent")
          + " is " + input.length() + " characters, more than the " + MAX_INPUT_CHARS + " a turn's input may be"
          + (input == current ? "" : "; continue a conversation with the X-Troupe-Session header instead of"
              + " sending its whole history"));
    }
    return new Read.Ok(new ChatRequest(model.textValue(), input, stream.value(), stream.value() && includeUsage));
  }

  /** The earlier messages as a transcript, then the last one. */
  static String transcript(List<String[]> turns) {
    StringBuilder text = new StringBuilder(TRANSCRIPT_HEADING).append("\n\n");
    for (int i = 0; i < turns.size() - 1; i++) {
      text.append(turns.get(i)[0].equals("user") ? "User: " : "Assistant: ").append(turns.get(i)[1]).append("\n\n");
    }
    return text.append(CURRENT_HEADING).append("\n").append(turns.get(turns.size() - 1)[1]).toString();
  }

  private record Flag(boolean value, String error) {}

  private static Flag flag(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return new Flag(false, null);
    }
    return node.isBoolean() ? new Flag(node.booleanValue(), null)
        : new Flag(false, "must be true or false, was " + node.getNodeType().name().toLowerCase());
  }

  private record Text(String value, String error) {}

  /** A message's text: a string, or text parts joined by newlines; an assistant's may be null (a tool-calling reply). */
  private static Text text(JsonNode content, String where, boolean assistant) {
    if (content == null || content.isNull()) {
      return assistant ? new Text("", null) : new Text(null, "is required");
    }
    if (content.isTextual()) {
      return new Text(content.textValue(), null);
    }
    if (!content.isArray()) {
      return new Text(null, "must be a string or an array of text parts");
    }
    List<String> parts = new ArrayList<>();
    for (JsonNode part : content) {
      if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
        return new Text(null, "only text parts ({\"type\":\"text\",\"text\":\"...\"}) are taken, was "
            + abbreviate(part.path("type").asText(part.getNodeType().name().toLowerCase())));
      }
      parts.add(part.get("text").textValue());
    }
    return new Text(String.join("\n", parts), null);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
