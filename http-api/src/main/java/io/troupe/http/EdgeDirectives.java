package io.troupe.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/** Directives every routes class shares: JSON bodies, problems, and answering from futures. */
public abstract class EdgeDirectives extends HttpMetricsDirectives {

  private static final Duration BODY_READ_TIMEOUT = Duration.ofSeconds(10);

  /** The authenticated caller, set by {@link Guard} on every request that reaches a routes class. */
  static final org.apache.pekko.http.javadsl.model.AttributeKey<io.troupe.runtime.governance.Principal> PRINCIPAL =
      org.apache.pekko.http.javadsl.model.AttributeKey.create("troupe-principal", io.troupe.runtime.governance.Principal.class);

  protected final long maxBodyBytes;

  protected EdgeDirectives(long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * Reads the request body as a JSON object: 415 unless it is {@code application/json}, 413 past
   * the size limit, 400 when empty, malformed, or not an object.
   */
  protected Route jsonObject(Function<JsonNode, Route> inner) {
    return extractRequestEntity(entity -> {
      if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
        return problem(Problem.of(StatusCodes.UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json, was " + entity.getContentType()));
      }
      if (entity.getContentLengthOption().orElse(0L) > maxBodyBytes) {
        return problem(tooLarge(maxBodyBytes));
      }
      return extractMaterializer(mat -> onComplete(
          entity.toStrict(BODY_READ_TIMEOUT.toMillis(), maxBodyBytes, mat),
          read -> {
            if (read.isFailure()) {
              return complete(ProblemHandlers.toResponse(read.failed().get()));
            }
            byte[] bytes = read.get().getData().toArray();
            if (bytes.length == 0) {
              return problem(Problem.of(StatusCodes.BAD_REQUEST, "request body is empty; a JSON object is expected"));
            }
            JsonNode body;
            try {
              body = Json.MAPPER.readTree(bytes);
            } catch (JsonProcessingException e) {
              // Limit violations (nesting depth, number length) carry no location.
              String where = e.getLocation() == null ? ""
                  : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
              return problem(Problem.of(StatusCodes.BAD_REQUEST, "malformed JSON: " + e.getOriginalMessage() + where));
            } catch (java.io.IOException e) {
              return problem(Problem.of(StatusCodes.BAD_REQUEST, "unreadable request body"));
            }
            if (body == null || !body.isObject()) {
              return problem(Problem.of(StatusCodes.BAD_REQUEST, "request body must be a JSON object"));
            }
            return inner.apply(body);
          }));
    });
  }

  /** As {@link #jsonObject}, but a request without a body passes {@code null} to {@code inner}. */
  protected Route jsonObjectOrEmpty(Function<JsonNode, Route> inner) {
    return extractRequestEntity(entity -> entity.getContentLengthOption().orElse(-1L) == 0L
        ? inner.apply(null)
        : jsonObject(inner));
  }

  /** The caller {@link Guard} authenticated (routes behind it only). */
  protected Route principal(Function<io.troupe.runtime.governance.Principal, Route> inner) {
    return extractRequest(request -> inner.apply(request.getAttribute(PRINCIPAL)
        .orElseThrow(() -> new IllegalStateException("route reached without the guard"))));
  }

  static Problem tooLarge(long limit) {
    return Problem.of(StatusCodes.PAYLOAD_TOO_LARGE, "request body is larger than the limit of " + limit + " bytes");
  }

  protected Route problem(Problem problem) {
    return complete(problem.toResponse());
  }

  /** Completes with the response the future yields, or with the problem its failure maps to. */
  protected Route respond(CompletionStage<HttpResponse> response) {
    return onComplete(response, result -> result.isSuccess()
        ? complete(result.get())
        : complete(ProblemHandlers.toResponse(result.failed().get())));
  }
}
