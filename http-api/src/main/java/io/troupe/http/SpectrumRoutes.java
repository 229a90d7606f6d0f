package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.agents.spectrum.AllocationStatus;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.agents.spectrum.Roe;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Spectrum deconfliction over HTTP: requests decided by the theater's coordinator, allocations
 * read and released, Rules of Engagement read and replaced.
 */
public final class SpectrumRoutes extends EdgeDirectives {

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final RetryingAsk asks;
  private final int defaultLimit;
  private final int maxLimit;

  public SpectrumRoutes(ActorSystem<?> system, long maxBodyBytes) {
    super(maxBodyBytes);
    var config = system.settings().config();
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = config.getDuration("troupe.http.ask-timeout");
    this.asks = new RetryingAsk(askTimeout, config.getInt("troupe.http.ask-attempts"));
    this.defaultLimit = config.getInt("troupe.deconfliction.default-list-limit");
    this.maxLimit = config.getInt("troupe.deconfliction.max-list-limit");
  }

  public Route route() {
    return concat(
        path(segment("deconfliction").slash("requests"), () -> template("/api/v1/deconfliction/requests", () ->
            post(this::request))),
        pathPrefix("allocations", () -> concat(
            pathEnd(() -> template("/api/v1/allocations", () -> get(this::list))),
            path(segment(), id -> template("/api/v1/allocations/{id}", () -> concat(
                get(() -> lookup(id)),
                delete(() -> release(id))))))),
        path("roe", () -> template("/api/v1/roe", () -> concat(get(this::getRoe), put(this::putRoe)))));
  }

  private EntityRef<DeconflictionCoordinator.Command> coordinator(String theater) {
    return sharding.entityRefFor(DeconflictionCoordinator.ENTITY_KEY, theater);
  }

  /** POST /api/v1/deconfliction/requests: 200 with the decision, whatever it is. */
  private Route request() {
    return optionalHeaderValueByName("Idempotency-Key", key -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      key.filter(k -> k.isBlank() || k.length() > 255)
          .ifPresent(k -> errors.add("Idempotency-Key", "must be 1 to 255 characters"));
      SpectrumBodies.ParsedRequest parsed = SpectrumBodies.allocationRequest(body, errors);
      if (parsed == null || errors.any()) {
        return problem(errors.problem());
      }
      // With an Idempotency-Key, a retried request answers the first decision instead of a new one.
      var r = parsed.request();
      // Without a client key the edge makes one up, so its own re-asks never decide twice.
      var request = new io.troupe.agents.spectrum.AllocationRequest(r.assetRid(), r.emission(), r.purpose(),
          key.map(k -> "http:" + k).orElseGet(() -> "edge:" + java.util.UUID.randomUUID()));
      return respond(asks.<DeconflictionCoordinator.Command, io.troupe.agents.spectrum.Decision>askWithStatus(
              coordinator(parsed.theater()), replyTo -> new DeconflictionCoordinator.RequestAllocation(request, replyTo))
          .thenApply(d -> Json.response(StatusCodes.OK, SpectrumViews.DecisionView.of(d))));
    }));
  }

  /** GET /api/v1/allocations?theater=&status=&minMhz=&maxMhz=&limit= */
  private Route list() {
    return parameterOptional("theater", theaterParam -> parameterOptional("status", statusParam ->
        parameterOptional("minMhz", minParam -> parameterOptional("maxMhz", maxParam ->
            parameterOptional("limit", limitParam -> {
              FieldErrors errors = new FieldErrors();
              String theater = SpectrumBodies.theater(theaterParam.orElse(null), "theater", errors);
              AllocationStatus status = null;
              if (statusParam.isPresent()) {
                try {
                  status = AllocationStatus.valueOf(statusParam.get());
                } catch (IllegalArgumentException e) {
                  errors.add("status", "must be one of " + java.util.Arrays.toString(AllocationStatus.values()));
                }
              }
              Double min = errors.queryDouble(minParam, "minMhz", 0, 300_000);
              Double max = errors.queryDouble(maxParam, "maxMhz", 0, 300_000);
              if (min != null && max != null && min > max) {
                errors.add("maxMhz", "must not be below minMhz");
              }
              long limit = errors.queryLong(limitParam, "limit", defaultLimit, 1, maxLimit);
              if (errors.any()) {
                return problem(errors.problem());
              }
              AllocationStatus wanted = status;
              CompletionStage<DeconflictionCoordinator.AllocationList> found = asks.ask(coordinator(theater),
                  replyTo -> new DeconflictionCoordinator.ListAllocations(wanted, min == null ? 0 : min,
                      max == null ? 300_000 : max, (int) limit, replyTo));
              return respond(found.thenApply(l -> Json.response(StatusCodes.OK, new SpectrumViews.AllocationPage(
                  theater, l.allocations().stream().map(SpectrumViews.AllocationView::of).toList(), l.truncated()))));
            })))));
  }

  /** GET /api/v1/allocations/{id} */
  private Route lookup(String id) {
    String theater = DeconflictionCoordinator.theaterOf(id);
    if (theater.isEmpty()) {
      return problem(notFound(id));
    }
    CompletionStage<DeconflictionCoordinator.AllocationLookup> found = asks.ask(coordinator(theater),
        replyTo -> new DeconflictionCoordinator.GetAllocation(id, replyTo));
    return respond(found.thenApply(l -> l.allocation() == null
        ? notFound(id).toResponse()
        : Json.response(StatusCodes.OK, SpectrumViews.AllocationView.of(l.allocation()))));
  }

  /** DELETE /api/v1/allocations/{id}: releases an active allocation. */
  private Route release(String id) {
    String theater = DeconflictionCoordinator.theaterOf(id);
    if (theater.isEmpty()) {
      return problem(notFound(id));
    }
    CompletionStage<DeconflictionCoordinator.ReleaseResult> released = coordinator(theater)
        .ask(replyTo -> new DeconflictionCoordinator.Release(id, replyTo), askTimeout);
    return respond(released.thenApply(r -> switch (r.outcome()) {
      case RELEASED -> Json.response(StatusCodes.OK, SpectrumViews.AllocationView.of(r.allocation()));
      case NOT_FOUND -> notFound(id).toResponse();
      case NOT_ACTIVE -> Problem.of(StatusCodes.CONFLICT, "allocation " + id + " is already "
          + r.allocation().status() + "; only an APPROVED allocation can be released").toResponse();
    }));
  }

  /** GET /api/v1/roe?theater= */
  private Route getRoe() {
    return parameterOptional("theater", theaterParam -> {
      FieldErrors errors = new FieldErrors();
      String theater = SpectrumBodies.theater(theaterParam.orElse(null), "theater", errors);
      if (errors.any()) {
        return problem(errors.problem());
      }
      CompletionStage<Roe> roe = asks.ask(coordinator(theater), DeconflictionCoordinator.GetRoe::new);
      return respond(roe.thenApply(r -> Json.response(StatusCodes.OK, r)));
    });
  }

  /** PUT /api/v1/roe?theater= with the whole rule set, which replaces the theater's. */
  private Route putRoe() {
    return parameterOptional("theater", theaterParam -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      String theater = SpectrumBodies.theater(theaterParam.orElse(null), "theater", errors);
      Roe roe = SpectrumBodies.roe(body, errors);
      if (errors.any()) {
        return problem(errors.problem());
      }
      // Replacing the rules with the same rules again is harmless.
      return respond(asks.<DeconflictionCoordinator.Command, Roe>askWithStatus(coordinator(theater),
              replyTo -> new DeconflictionCoordinator.UpdateRoe(roe, replyTo))
          .thenApply(r -> Json.response(StatusCodes.OK, r)));
    }));
  }

  private static Problem notFound(String id) {
    return Problem.of(StatusCodes.NOT_FOUND, "no allocation " + id + " is known");
  }
}
