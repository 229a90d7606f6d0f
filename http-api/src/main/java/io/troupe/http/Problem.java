package io.troupe.http;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * An RFC 9457 problem: every error the edge answers is one of these, as
 * {@code application/problem+json}. {@code errors} names each bad field of a rejected request.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, Map<String, String> errors,
                      @com.fasterxml.jackson.annotation.JsonIgnore Map<String, Object> extensions) {

  public static final ContentType.NonBinary CONTENT_TYPE = ContentTypes.create(
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));
  public static final String VALIDATION_TYPE = "urn:troupe:problem:validation";

  public static Problem of(StatusCode status, String detail) {
    return new Problem("about:blank", status.reason(), status.intValue(), detail, null, null);
  }

  /** A 400 naming each bad field; nothing was changed. */
  public static Problem invalid(Map<String, String> errors) {
    String detail = errors.size() == 1
        ? errors.entrySet().iterator().next().getKey() + ": " + errors.values().iterator().next()
        : errors.size() + " fields are invalid: " + String.join(", ", errors.keySet());
    return new Problem(VALIDATION_TYPE, "Invalid request", 400, detail, new LinkedHashMap<>(errors), null);
  }

  public static Problem invalid(String field, String message) {
    return invalid(Map.of(field, message));
  }

  public Problem with(String member, Object value) {
    Map<String, Object> ext = extensions == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extensions);
    ext.put(member, value);
    return new Problem(type, title, status, detail, errors, ext);
  }

  @JsonAnyGetter
  public Map<String, Object> extensionMembers() {
    return extensions == null ? Map.of() : extensions;
  }

  public HttpResponse toResponse() {
    return HttpResponse.create()
        .withStatus(StatusCodes.get(status))
        .withEntity(HttpEntities.create(CONTENT_TYPE, Json.bytes(this)));
  }
}
