package io.troupe.http;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.troupe.runtime.broker.Topic;
import java.time.Instant;

/**
 * A stored topic message as the edge shows it; {@code content} is the JSON the publisher sent,
 * {@code publishedBy} the API user the server recorded as publishing it (null for messages stored
 * before publishers were recorded).
 */
public record MessageView(long offset, String sender, String recipient, String messageType,
                          @JsonRawValue String content, Instant publishedAt, String publishedBy) {

  public static MessageView of(Topic.MessagePublished m) {
    return new MessageView(m.offset(), m.sender(), m.recipient(), m.messageType(), m.contentJson(), m.publishedAt(),
        m.publishedBy());
  }
}
