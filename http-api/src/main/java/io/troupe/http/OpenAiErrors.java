package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Iterator;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Errors of the OpenAI-compatible door ({@code /v1}) in OpenAI's shape,
 * {@code {"error":{"message","type","param","code"}}}, instead of problem+json: OpenAI's client
 * libraries read {@code error.message} and {@code error.code}. The status is the one the rest of
 * the edge would answer; {@link #fromProblem} rewrites every problem the shared parts of the edge
 * answer (the guard, rate limits, stream slots, the services' refusals, rejections) so that no
 * {@code /v1} answer is problem+json.
 *
 * <p>type and code by status: 400 {@code invalid_request_error} ({@code param} names the field);
 * 401 {@code invalid_request_error}/{@code invalid_api_key}; 403
 * {@code permission_error}/{@code permission_denied}; 404 {@code invalid_request_error}/
 * {@code model_not_found} (an agent) or {@code not_found}; 405, 408, 413, 415
 * {@code invalid_request_error}; 409 {@code invalid_request_error} with the conflict's code; 429
 * {@code requests}/{@code rate_limit_exceeded}, or {@code insufficient_quota} for a budget; 500,
 * 503, 504 {@code server_error}.
 */
final class OpenAiErrors {

  /** The body: one error. */
  record Body(Error error) {}

  /** OpenAI's error object; {@code param} and {@code code} may be null (they are sent as null). */
  record Error(String message, String type, String param, String code) {}

  /**
   * Tells OpenAI's client libraries not to retry (they retry 409, 429 and 5xx by default): sent
   * where a retry would run the agent again (the session already started, or ran and failed).
   */
  static final RawHeader NO_RETRY = RawHeader.create("x-should-retry", "false");

  private OpenAiErrors() {}

  static HttpResponse response(int status, String message, String param, String code) {
    return response(status, message, typeFor(status), param, code);
  }

  static HttpResponse response(int status, String message, String type, String param, String code) {
    return HttpResponse.create().withStatus(StatusCodes.get(status))
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
            Json.bytes(new Body(new Error(message, type, param, code)))));
  }

  /** A 400 for a bad field of the request. */
  static HttpResponse invalid(String param, String message) {
    return response(400, param + ": " + message, param, null);
  }

  /** The 404 for a model that names no agent the caller may see. */
  static HttpResponse modelNotFound(String message) {
    return response(404, message, "model", "model_not_found");
  }

  static String typeFor(int status) {
    if (status == 403) {
      return "permission_error";
    }
    if (status == 429) {
      return "requests";
    }
    return status >= 500 ? "server_error" : "invalid_request_error";
  }

  static String codeFor(int status) {
    return switch (status) {
      case 401 -> "invalid_api_key";
      case 403 -> "permission_denied";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 409 -> "conflict";
      case 413 -> "request_too_large";
      case 415 -> "unsupported_media_type";
      case 429 -> "rate_limit_exceeded";
      case 503 -> "service_unavailable";
      case 504 -> "timeout";
      default -> null;
    };
  }

  /**
   * The response, with a problem+json body rewritten as OpenAI's error (same status and headers;
   * {@code detail} becomes {@code message}, the first field of {@code errors} becomes
   * {@code param}). Anything else passes as it is.
   */
  static HttpResponse fromProblem(HttpResponse response) {
    if (!response.entity().getContentType().equals(Problem.CONTENT_TYPE)
        || !(response.entity() instanceof HttpEntity.Strict strict)) {
      return response;
    }
    JsonNode problem;
    try {
      problem = Json.MAPPER.readTree(strict.getData().toArray());
    } catch (IOException e) {
      return response;
    }
    int status = response.status().intValue();
    String message = problem.path("detail").asText(response.status().reason());
    String param = null;
    JsonNode errors = problem.get("errors");
    if (errors != null && errors.isObject()) {
      Iterator<String> fields = errors.fieldNames();
      param = fields.hasNext() ? fields.next() : null;
    }
    HttpResponse rewritten = response(status, message, param, codeFor(status));
    return rewritten.withHeaders(response.getHeaders());
  }
}
