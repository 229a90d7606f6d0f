package io.troupe.runtime.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.broker.TopicLog;
import io.troupe.runtime.broker.TopicNames;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code read_topic}: a page of a topic's stored messages from an offset, read straight from the
 * journal (see {@link TopicLog}), with the offset to continue from. Reading has no effects, so a
 * retried call is harmless.
 *
 * <p>A page stops early once its contents pass {@value #MAX_PAGE_CONTENT_CHARS} characters (it
 * always holds at least one message), so a few large messages cannot flood the model's context;
 * {@code nextOffset} then points at the first message left out.
 */
public final class ReadTopicTool implements Tool {

  public static final String NAME = "read_topic";
  public static final int DEFAULT_LIMIT = 20;
  public static final int MAX_LIMIT = 100;
  static final int MAX_PAGE_CONTENT_CHARS = 256 * 1024;

  private static final JsonNode PARAMETERS = ToolJson.parse("""
      {
        "type": "object",
        "properties": {
          "topic": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$",
                    "description": "Topic to read: 1-128 letters, digits, '.', '_' or '-'."},
          "from": {"type": "integer", "minimum": 1, "maximum": 9007199254740991, "default": 1,
                   "description": "Offset of the first message to return (offsets start at 1)."},
          "limit": {"type": "integer", "minimum": 1, "maximum": %d, "default": %d,
                    "description": "Most messages to return."}
        },
        "required": ["topic"],
        "additionalProperties": false
      }
      """.formatted(MAX_LIMIT, DEFAULT_LIMIT));

  private final TopicLog topicLog;

  public ReadTopicTool(TopicLog topicLog) {
    this.topicLog = topicLog;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Read stored messages of a broker topic in offset order, starting at an offset. Returns the"
        + " messages and nextOffset, the offset to read from next.";
  }

  @Override
  public JsonNode parameters() {
    return PARAMETERS;
  }

  @Override
  public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
    String topic = arguments.path("topic").asText();
    Optional<String> badTopic = TopicNames.problem(topic);
    if (badTopic.isPresent()) {
      return CompletableFuture.failedFuture(new ToolException("topic " + badTopic.get()));
    }
    long from = arguments.path("from").asLong(1);
    int limit = arguments.path("limit").asInt(DEFAULT_LIMIT);
    return topicLog.read(topic, from, limit).thenApply(messages -> page(topic, from, messages));
  }

  private static JsonNode page(String topic, long from, List<Topic.MessagePublished> messages) {
    ObjectNode result = ToolJson.MAPPER.createObjectNode();
    result.put("topic", topic);
    ArrayNode list = result.putArray("messages");
    long next = from;
    long contentChars = 0;
    for (Topic.MessagePublished m : messages) {
      if (!list.isEmpty() && contentChars + m.contentJson().length() > MAX_PAGE_CONTENT_CHARS) {
        break;
      }
      contentChars += m.contentJson().length();
      ObjectNode message = list.addObject();
      message.put("offset", m.offset());
      message.put("sender", m.sender());
      if (m.recipient() != null) {
        message.put("recipient", m.recipient());
      }
      message.put("messageType", m.messageType());
      message.set("content", ToolJson.parseOrText(m.contentJson()));
      message.put("publishedAt", m.publishedAt().toString());
      next = m.offset() + 1;
    }
    result.put("nextOffset", next);
    return result;
  }
}
