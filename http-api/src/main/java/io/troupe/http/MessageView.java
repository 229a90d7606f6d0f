package io.troupe.http;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.troupe.runtime.broker.Topic;
import java.time.Instant;

/** A stored topic message as the edge shows it; {@code content} is the JSON the publisher sent. */
public record MessageView(long offset, String sender, String recipient, String messageType,
                          @JsonRawValue String content, Instant publishedAt) {

  public static MessageView of(Topic.MessagePublished m) {
    return new MessageView(m.offset(), m.sender(), m.recipient(), m.messageType(), m.contentJson(), m.publishedAt());
  }
}
