package io.troupe.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** The edge's one JSON mapper, and responses built with it. */
public final class Json {

  public static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      // Message content is stored as the publisher sent it: read as doubles, 3.14159265358979323846
      // would lose digits and 1e400 would become the string "Infinity".
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      // A body is one JSON value: "{...} x" or "{...}{...}" is malformed, not its first object.
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .setSerializationInclusion(JsonInclude.Include.ALWAYS);

  private Json() {}

  public static HttpResponse response(StatusCode status, Object body) {
    return HttpResponse.create().withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes(body)));
  }

  public static byte[] bytes(Object body) {
    try {
      return MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
