package io.troupe.runtime.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.broker.Topics;
import io.troupe.runtime.governance.EndpointClass;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.StatusReply;

/**
 * {@code publish_to_topic}: appends a message to a broker topic as {@code agent:<agentName>}, through
 * the topic's sharded entity, and returns the offset it got.
 *
 * <p><b>Exactly once per call.</b> The call id is the publish's idempotency key: a call
 * retried with the same id (the session resumed after a crash, on any node) finds the topic
 * remembers the key and answers with the original offset instead of appending again (see
 * {@link Topic.Publish}; the topic remembers its last {@value Topic#REMEMBERED_KEYS} keys).
 *
 * <p>Each call takes a token from the same rate limit as {@code POST /api/v1/topics/{topic}/messages}
 * ({@link WriteLimits}); a refused one is an error for the model and publishes nothing.
 *
 * <p>It publishes through {@link Topics}, for the calling session's owner. An ask the topic does
 * not answer in time is sent again with the same key (a command sent to a node that died is
 * lost; the new one reaches the topic on its new node). A publish the topic does not confirm
 * within the call's timeout is reported as an error that says it may or may not have been stored.
 */
public final class PublishToTopicTool implements Tool {

  public static final String NAME = "publish_to_topic";
  /** Largest content accepted, as JSON text; the HTTP edge's body limit is larger, a model's output rarely is. */
  public static final int MAX_CONTENT_CHARS = 256 * 1024;

  private static final JsonNode PARAMETERS = ToolJson.parse("""
      {
        "type": "object",
        "properties": {
          "topic": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$",
                    "description": "Topic to publish to: 1-128 letters, digits, '.', '_' or '-'."},
          "messageType": {"type": "string", "minLength": 1, "maxLength": 128,
                          "description": "What kind of message this is, e.g. 'allocation.request'."},
          "content": {"description": "The message body: any JSON value."},
          "recipient": {"type": ["string", "null"], "maxLength": 255,
                        "description": "Optional: the agent or party the message is meant for."}
        },
        "required": ["topic", "messageType", "content"],
        "additionalProperties": false
      }
      """);

  private final Topics topics;
  private final WriteLimits limits;

  public PublishToTopicTool(ActorSystem<?> system) {
    this.topics = Topics.get(system);
    this.limits = new WriteLimits(system);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Publish a message to a broker topic. Other agents and services subscribed to the topic"
        + " receive it in order. Returns the topic and the message's offset.";
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
    String contentJson = arguments.get("content").toString();
    if (contentJson.length() > MAX_CONTENT_CHARS) {
      return CompletableFuture.failedFuture(new ToolException("content is too large: " + contentJson.length()
          + " characters of JSON, at most " + MAX_CONTENT_CHARS + " allowed"));
    }
    // Counted like POST /api/v1/topics/{topic}/messages: a token of the reads limit (RouteTable).
    return limits.take(context, EndpointClass.READS, "publishing to topic " + topic)
        .thenCompose(allowed -> publish(context, topic, arguments, contentJson));
  }

  private CompletionStage<JsonNode> publish(ToolContext context, String topic, JsonNode arguments, String contentJson) {
    JsonNode recipientNode = arguments.get("recipient");
    String recipient = recipientNode == null || recipientNode.isNull() ? null : recipientNode.asText();
    // Published for the session's owner; the call id is the idempotency key (exactly once per call).
    Topics.Publication publication = new Topics.Publication(topic, null, recipient,
        arguments.path("messageType").asText(), contentJson, "tool:" + context.callId(), context.userId());
    return topics.publishAsAgent(context.agentName(), publication, context.timeout())
        .handle((published, error) -> {
          if (error != null) {
            throw explain(topic, context, error);
          }
          ObjectNode result = ToolJson.MAPPER.createObjectNode();
          result.put("topic", published.topic());
          result.put("offset", published.offset());
          return result;
        });
  }

  private static ToolException explain(String topic, ToolContext context, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof StatusReply.ErrorMessage) {
      return new ToolException("topic " + topic + " refused the message: " + cause.getMessage());
    }
    if (cause instanceof TimeoutException) {
      return new ToolException("topic " + topic + " did not confirm within " + context.timeout().toMillis()
          + " ms; the message may or may not have been published");
    }
    return new ToolException("could not publish to topic " + topic + ": " + cause.getMessage(), cause);
  }
}
