package io.troupe.http;

import io.troupe.runtime.readside.SessionQueries;
import io.troupe.agents.spectrum.readside.SpectrumQueries;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.db.Database;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Analytics over the read side: agent sessions, deconfliction decisions, ROE violations and
 * frequency usage, answered by SQL on the tables the projections fill.
 *
 * <p>The read side is eventually consistent: projections read tagged events from the journal by
 * polling ({@code jdbc-read-journal.refresh-interval}, 500 ms here) and apply them in groups
 * (up to {@code troupe.read-side.group-window}), so a session or decision shows up here about a
 * second after the API that made it answered.
 *
 * <p>{@code since} is an ISO-8601 date-time with an offset ({@code 2026-11-22T10:00:00Z}; a "+"
 * offset must be URL-encoded as %2B); {@code theater} filters by theater, all when absent.
 */
public final class AnalyticsRoutes extends EdgeDirectives {

  private static final double MAX_MHZ = 300_000;
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;

  private final SessionQueries sessions;
  private final SpectrumQueries spectrum;

  public AnalyticsRoutes(Database database) {
    super(0);
    this.sessions = new SessionQueries(database);
    this.spectrum = new SpectrumQueries(database);
  }

  public Route route() {
    return pathPrefix("analytics", () -> concat(
        path("agents", () -> template("/api/v1/analytics/agents", () -> get(this::agents))),
        path("deconfliction", () -> template("/api/v1/analytics/deconfliction", () -> get(this::deconfliction))),
        path("roe-violations", () -> template("/api/v1/analytics/roe-violations", () -> get(this::roeViolations))),
        path("frequency-usage", () -> template("/api/v1/analytics/frequency-usage", () -> get(this::frequencyUsage)))));
  }

  /** GET /api/v1/analytics/agents?since=: sessions, completed, errors, averages, per agent and in total. */
  private Route agents() {
    return parameterOptional("since", sinceParam -> {
      FieldErrors errors = new FieldErrors();
      Instant since = since(sinceParam, errors);
      return errors.any() ? problem(errors.problem()) : answer(sessions.agents(since));
    });
  }

  /** GET /api/v1/analytics/deconfliction?since=&theater=: requests, approved, denied, conflicts, approval rate. */
  private Route deconfliction() {
    return parameterOptional("since", sinceParam -> parameterOptional("theater", theaterParam -> {
      FieldErrors errors = new FieldErrors();
      Instant since = since(sinceParam, errors);
      String theater = theater(theaterParam, errors);
      return errors.any() ? problem(errors.problem()) : answer(spectrum.deconfliction(since, theater));
    }));
  }

  /** GET /api/v1/analytics/roe-violations?since=&theater=: total, per severity and per rule type. */
  private Route roeViolations() {
    return parameterOptional("since", sinceParam -> parameterOptional("theater", theaterParam -> {
      FieldErrors errors = new FieldErrors();
      Instant since = since(sinceParam, errors);
      String theater = theater(theaterParam, errors);
      return errors.any() ? problem(errors.problem()) : answer(spectrum.roeViolations(since, theater));
    }));
  }

  /**
   * GET /api/v1/analytics/frequency-usage?minMhz=&maxMhz=&theater=&limit=: allocations (any
   * status) whose band overlaps [minMhz, maxMhz], counted by status, listed by frequency.
   */
  private Route frequencyUsage() {
    return parameterOptional("minMhz", minParam -> parameterOptional("maxMhz", maxParam ->
        parameterOptional("theater", theaterParam -> parameterOptional("limit", limitParam -> {
          FieldErrors errors = new FieldErrors();
          Double min = errors.queryDouble(minParam, "minMhz", 0, MAX_MHZ);
          Double max = errors.queryDouble(maxParam, "maxMhz", 0, MAX_MHZ);
          if (min != null && max != null && min > max && !errors.has("minMhz") && !errors.has("maxMhz")) {
            errors.add("maxMhz", "must not be below minMhz");
          }
          String theater = theater(theaterParam, errors);
          long limit = errors.queryLong(limitParam, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
          if (errors.any()) {
            return problem(errors.problem());
          }
          return answer(spectrum.frequencyUsage(min == null ? 0 : min, max == null ? MAX_MHZ : max, theater,
              (int) limit));
        }))));
  }

  private Route answer(CompletionStage<?> result) {
    return respond(result.thenApply(body -> Json.response(StatusCodes.OK, body)));
  }

  static Instant since(Optional<String> raw, FieldErrors errors) {
    if (raw.isEmpty()) {
      return null;
    }
    String text = raw.get().trim();
    try {
      Instant since = OffsetDateTime.parse(text).toInstant();
      int year = since.atOffset(java.time.ZoneOffset.UTC).getYear();
      if (year < 1 || year > 9999) { // beyond what PostgreSQL's timestamptz comparisons should see
        errors.add("since", "must be between the years 1 and 9999");
        return null;
      }
      return since;
    } catch (DateTimeParseException e) {
      errors.add("since", "must be an ISO-8601 date-time with an offset, e.g. 2026-11-22T10:00:00Z, was '"
          + (text.length() <= 40 ? text : text.substring(0, 40) + "…") + "'");
      return null;
    }
  }

  private static String theater(Optional<String> raw, FieldErrors errors) {
    return raw.isEmpty() ? null : SpectrumBodies.theater(raw.get(), "theater", errors);
  }
}
