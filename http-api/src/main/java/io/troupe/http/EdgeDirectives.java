package io.troupe.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.StorableText;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;

/** Directives every routes class shares: JSON bodies, problems, and answering from futures. */
public abstract class EdgeDirectives extends HttpMetricsDirectives {

  /** The authenticated caller, set by {@link Guard} on every request that reaches a routes class. */
  static final org.apache.pekko.http.javadsl.model.AttributeKey<io.troupe.runtime.governance.Principal> PRINCIPAL =
      org.apache.pekko.http.javadsl.model.AttributeKey.create("troupe-principal", io.troupe.runtime.governance.Principal.class);

  protected final long maxBodyBytes;

  protected EdgeDirectives(long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * Reads the request body as a JSON object: 415 unless it is {@code application/json}, 413 past
   * the size limit, 408 when it does not arrive within troupe.http.body-read-timeout, 400 when
   * empty, malformed, not an object, or holding text the journal cannot store (a lone surrogate).
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
      // A body that arrived with its headers is already strict: toStrict with a size limit would
      // still run a stream (and start an actor) to copy it, a tenth of a publish's edge CPU.
      CompletionStage<HttpEntity.Strict> strict = entity instanceof HttpEntity.Strict s
          && s.getData().size() <= maxBodyBytes ? CompletableFuture.completedFuture(s) : null;
      return extractMaterializer(mat -> onComplete(
          strict != null ? strict : entity.toStrict(bodyReadTimeout(mat).toMillis(), maxBodyBytes, mat),
          read -> {
            if (read.isFailure()) {
              if (read.failed().get() instanceof TimeoutException) {
                return complete(bodyTooSlow(bodyReadTimeout(mat)));
              }
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
            // Valid JSON, but no entity could journal it (CBOR holds only valid Unicode).
            Optional<String> surrogate = StorableText.loneSurrogateIn(body);
            if (surrogate.isPresent()) {
              return problem(Problem.of(StatusCodes.BAD_REQUEST, "request body holds " + StorableText.describe(surrogate.get())));
            }
            return inner.apply(body);
          }));
    });
  }

  private static Duration bodyReadTimeout(Materializer mat) {
    return HttpSettings.get(Adapter.toTyped(mat.system())).bodyReadTimeout();
  }

  /**
   * 408, closing the connection: the rest of the body may still arrive, and it must not be read
   * as the next request.
   */
  private static HttpResponse bodyTooSlow(Duration timeout) {
    return Problem.of(StatusCodes.REQUEST_TIMEOUT, "the request body did not arrive within " + timeout.toMillis()
        + " ms (troupe.http.body-read-timeout); send it at once").toResponse().addHeader(Connection.create("close"));
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

  /**
   * Takes one of this node's SSE stream slots for the caller ({@link StreamSlots}: node, key, and
   * the user's sseStreams quota), or answers the refusal; {@code inner} gets the slot's release,
   * to run once when the stream ends (running it again does nothing).
   */
  protected Route streamSlot(Function<Runnable, Route> inner) {
    return principal(caller -> extractMaterializer(mat -> {
      var system = Adapter.toTyped(mat.system());
      return onComplete(io.troupe.runtime.governance.quota.Quotas.get(system).of(caller.userId()), limits -> {
        if (limits.isFailure()) {
          return complete(ProblemHandlers.toResponse(limits.failed().get()));
        }
        StreamSlots slots = StreamSlots.get(system);
        Optional<Problem> refused = slots.take(caller, limits.get().sseStreams());
        if (refused.isPresent()) {
          return problem(refused.get());
        }
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        return inner.apply(() -> {
          if (released.compareAndSet(false, true)) {
            slots.release(caller);
          }
        });
      });
    }));
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
