package io.troupe.http;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps every rejection and failure to problem+json in one place. Pekko's default rejection
 * handler already picks the right status for each rejection (404, 405 with Allow, 415, ...);
 * its plain-text answers are rewritten as problems, keeping status and headers.
 */
public final class ProblemHandlers {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandlers.class);

  private ProblemHandlers() {}

  public static RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (response.entity() instanceof HttpEntity.Strict strict) {
        String text = strict.getData().utf8String();
        return response.withEntity(Problem.of(response.status(), text).toResponse().entity());
      }
      return response;
    });
  }

  public static ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(Throwable.class, e -> Directives.complete(toResponse(e)))
        .build();
  }

  /** The answer for a failed request; also used where routes handle a failed future themselves. */
  public static HttpResponse toResponse(Throwable e) {
    Throwable cause = unwrap(e);
    if (cause instanceof EntityStreamSizeException size) {
      return EdgeDirectives.tooLarge(size.limit()).toResponse();
    }
    if (cause instanceof AskTimeoutException || cause instanceof TimeoutException) {
      return Problem.of(StatusCodes.SERVICE_UNAVAILABLE,
              "the cluster did not answer in time; the request may be retried").toResponse()
          .addHeader(RetryAfter.create(1L));
    }
    if (cause instanceof java.sql.SQLException) {
      log.warn("Database unavailable for a request: {}", LogText.escape(cause.getMessage()));
      return Problem.of(StatusCodes.SERVICE_UNAVAILABLE, "the database did not answer; the request may be retried")
          .toResponse().addHeader(RetryAfter.create(1L));
    }
    if (cause instanceof io.troupe.runtime.service.Refused refused) {
      if (refused.field() != null) {
        return Problem.invalid(refused.field(), refused.getMessage()).toResponse();
      }
      HttpResponse answer = Problem.of(switch (refused.reason()) {
        case NOT_FOUND -> StatusCodes.NOT_FOUND;
        case CONFLICT -> StatusCodes.CONFLICT;
        case FORBIDDEN -> StatusCodes.FORBIDDEN;
        case INVALID -> StatusCodes.BAD_REQUEST;
        case TOO_MANY -> StatusCodes.TOO_MANY_REQUESTS;
        case BUSY -> StatusCodes.SERVICE_UNAVAILABLE;
      }, refused.getMessage()).toResponse();
      // TOO_MANY and BUSY say when to try again; the others carry no wait.
      return refused.retryAfterSeconds() > 0 ? answer.addHeader(RetryAfter.create(refused.retryAfterSeconds())) : answer;
    }
    if (cause instanceof StatusReply.ErrorMessage error) {
      return Problem.of(StatusCodes.BAD_REQUEST, error.getMessage()).toResponse();
    }
    log.error("Request failed", escaped(cause));
    return Problem.of(StatusCodes.INTERNAL_SERVER_ERROR, "internal error; the node's log has the details")
        .toResponse();
  }

  /**
   * The failure with its message escaped ({@link LogText}), keeping the stack: a message may quote
   * what a client sent, and must not break the log line it is printed on.
   */
  private static Throwable escaped(Throwable cause) {
    return escaped(cause, 0);
  }

  private static Throwable escaped(Throwable cause, int depth) {
    Throwable next = cause.getCause();
    // Bounded: a cause chain can loop.
    Throwable copy = new RuntimeException(cause.getClass().getName() + ": " + LogText.escape(cause.getMessage()),
        next == null || next == cause || depth >= 8 ? null : escaped(next, depth + 1));
    copy.setStackTrace(cause.getStackTrace());
    return copy;
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
