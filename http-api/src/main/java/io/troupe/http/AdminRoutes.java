package io.troupe.http;

import io.troupe.runtime.readside.AdminQueries;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.db.Database;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Admin views over the read side ({@code admin:read}): session request figures per agent over
 * the last hours, the latest failed sessions, and one user's recent activity. Like analytics,
 * they lag the sessions by about a second.
 */
public final class AdminRoutes extends EdgeDirectives {

  private static final int MAX_HOURS = 24 * 366;
  private static final int DEFAULT_LIMIT = 50;
  private static final int MAX_LIMIT = 500;
  private final AdminQueries queries;

  public AdminRoutes(Database database) {
    super(0);
    this.queries = new AdminQueries(database);
  }

  /** The admin views; the guard has checked admin:read (RouteTable). */
  public Route route() {
    return pathPrefix("admin", () -> concat(
        path("metrics", () -> template("/api/v1/admin/metrics", () -> get(this::metrics))),
        path("errors", () -> template("/api/v1/admin/errors", () -> get(this::errors))),
        path(segment("user-activity").slash(segment()), userId -> template("/api/v1/admin/user-activity/{userId}",
            () -> get(() -> userActivity(userId))))));
  }


  /** GET /api/v1/admin/metrics?hours=24: requests, successes, failures, success rate, time, tokens, per agent. */
  private Route metrics() {
    return parameterOptional("hours", hoursParam -> {
      FieldErrors errors = new FieldErrors();
      long hours = errors.queryLong(hoursParam, "hours", 24, 1, MAX_HOURS);
      return errors.any() ? problem(errors.problem()) : answer(queries.metrics((int) hours));
    });
  }

  /** GET /api/v1/admin/errors?limit=: the latest sessions that ended ERROR or TIMEOUT, with their reasons. */
  private Route errors() {
    return parameterOptional("limit", limitParam -> {
      FieldErrors errors = new FieldErrors();
      long limit = errors.queryLong(limitParam, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
      return errors.any() ? problem(errors.problem()) : answer(queries.errors((int) limit));
    });
  }

  /** GET /api/v1/admin/user-activity/{userId}?limit=: the user's latest sessions and what they cost. */
  private Route userActivity(String userId) {
    return parameterOptional("limit", limitParam -> {
      FieldErrors errors = new FieldErrors();
      long limit = errors.queryLong(limitParam, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
      if (userId.isBlank() || userId.length() > 255 || userId.indexOf('\u0000') >= 0) {
        errors.add("userId", "must be 1 to 255 characters, without NUL");
      }
      return errors.any() ? problem(errors.problem()) : answer(queries.userActivity(userId, (int) limit));
    });
  }

  private Route answer(CompletionStage<?> result) {
    return respond(result.thenApply(body -> Json.response(StatusCodes.OK, body)));
  }
}
