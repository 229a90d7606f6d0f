package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.agents.spectrum.AllocationStatus;
import io.troupe.agents.spectrum.Decision;
import io.troupe.agents.spectrum.DecisionStatus;
import io.troupe.agents.spectrum.DeconflictionCoordinator;
import io.troupe.agents.spectrum.Roe;
import io.troupe.agents.spectrum.Spectrum;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Spectrum deconfliction over HTTP: requests decided by the theater's coordinator, requests held
 * for approval listed, read and reviewed, allocations read and released, Rules of Engagement read
 * and replaced.
 */
public final class SpectrumRoutes extends EdgeDirectives {

  private final Spectrum spectrum;
  private final int defaultLimit;
  private final int maxLimit;

  public SpectrumRoutes(ActorSystem<?> system, long maxBodyBytes) {
    super(maxBodyBytes);
    var settings = io.troupe.agents.spectrum.SpectrumSettings.get(system);
    this.spectrum = Spectrum.get(system);
    this.defaultLimit = settings.defaultListLimit();
    this.maxLimit = settings.maxListLimit();
  }

  public Route route() {
    return concat(
        pathPrefix(segment("deconfliction").slash("requests"), () -> concat(
            pathEnd(() -> template("/api/v1/deconfliction/requests", () -> post(() -> principal(this::request)))),
            path(segment(), id -> template("/api/v1/deconfliction/requests/{decisionId}", () ->
                get(() -> heldRequest(id)))),
            path(segment().slash("approval"), id -> template("/api/v1/deconfliction/requests/{decisionId}/approval",
                () -> post(() -> principal(caller -> review(id, caller))))))),
        path(segment("deconfliction").slash("pending"), () -> template("/api/v1/deconfliction/pending", () ->
            get(this::pending))),
        pathPrefix("allocations", () -> concat(
            pathEnd(() -> template("/api/v1/allocations", () -> get(this::list))),
            path(segment(), id -> template("/api/v1/allocations/{id}", () -> concat(
                get(() -> lookup(id)),
                delete(() -> principal(caller -> release(id, caller)))))))),
        path("roe", () -> template("/api/v1/roe", () -> concat(get(this::getRoe), put(this::putRoe)))));
  }

  /**
   * POST /api/v1/deconfliction/requests: 200 with the decision, whatever it is, except a request
   * held for approval: 202 with its PENDING_APPROVAL decision and a Location to follow it (409 when
   * the theater holds its maximum already). The allocation belongs to the caller (403 for
   * IMMEDIATE or FLASH without deconfliction:priority).
   */
  private Route request(io.troupe.runtime.governance.Principal caller) {
    return optionalHeaderValueByName("Idempotency-Key", key -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      key.filter(k -> k.isBlank() || k.length() > 255)
          .ifPresent(k -> errors.add("Idempotency-Key", "must be 1 to 255 characters"));
      SpectrumBodies.ParsedRequest parsed = SpectrumBodies.allocationRequest(body, errors);
      if (parsed == null || errors.any()) {
        return problem(errors.problem());
      }
      // With an Idempotency-Key, a retried request answers the first decision instead of a new one
      // (keys are per caller: Spectrum scopes them to the requester).
      var r = parsed.request();
      // Without a client key the edge makes one up, so its own re-asks never decide twice.
      var request = new io.troupe.agents.spectrum.AllocationRequest(r.assetRid(), r.emission(), r.purpose(),
          key.map(k -> "http:" + k).orElseGet(() -> "edge:" + java.util.UUID.randomUUID()));
      return respond(spectrum.request(parsed.theater(), request, caller).thenApply(SpectrumRoutes::decision));
    }));
  }

  private static HttpResponse decision(Decision d) {
    if (d.status() != DecisionStatus.PENDING_APPROVAL) {
      return Json.response(StatusCodes.OK, SpectrumViews.DecisionView.of(d));
    }
    return Json.response(StatusCodes.ACCEPTED, SpectrumViews.DecisionView.of(d))
        .addHeader(Location.create("/api/v1/deconfliction/requests/" + d.decisionId()));
  }

  /** GET /api/v1/deconfliction/requests/{decisionId}: a request held for approval, pending or reviewed. */
  private Route heldRequest(String decisionId) {
    return respond(spectrum.heldRequest(decisionId)
        .thenApply(h -> Json.response(StatusCodes.OK, SpectrumViews.HeldRequestView.of(h))));
  }

  /** GET /api/v1/deconfliction/pending?theater=: the theater's requests held for approval now, oldest first. */
  private Route pending() {
    return parameterOptional("theater", theaterParam -> {
      FieldErrors errors = new FieldErrors();
      String theater = SpectrumBodies.theater(theaterParam.orElse(null), "theater", errors);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(spectrum.heldRequests(theater).thenApply(held -> Json.response(StatusCodes.OK,
          new SpectrumViews.HeldRequestPage(theater, held.stream().map(SpectrumViews.HeldRequestView::of).toList()))));
    });
  }

  /**
   * POST /api/v1/deconfliction/requests/{decisionId}/approval with {"approve": true|false,
   * "comment": "..."} (deconfliction:approve): 200 with the held request as it ends (its decision
   * is the outcome: APPROVED, or CONFLICT/DENIED when the plan changed meanwhile, or REJECTED), 202
   * when an approval found it would now preempt more than it was held for (held again, with the
   * new lists); 404 for an id no held request has, 409 when it was decided already. The service
   * audits each answer (verdict, comment, outcome).
   */
  private Route review(String decisionId, io.troupe.runtime.governance.Principal caller) {
    return jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      ApprovalBody review = ApprovalBody.read(body, "approve the held request", errors);
      if (review == null) {
        return problem(errors.problem());
      }
      return respond(spectrum.review(decisionId, review.approve(), review.comment(), caller).thenApply(h ->
          Json.response(h.pending() ? StatusCodes.ACCEPTED : StatusCodes.OK, SpectrumViews.HeldRequestView.of(h))));
    });
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
              CompletionStage<DeconflictionCoordinator.AllocationList> found = spectrum.allocations(theater, wanted,
                  min == null ? 0 : min, max == null ? 300_000 : max, (int) limit);
              return respond(found.thenApply(l -> Json.response(StatusCodes.OK, new SpectrumViews.AllocationPage(
                  theater, l.allocations().stream().map(SpectrumViews.AllocationView::of).toList(), l.truncated()))));
            })))));
  }

  /** GET /api/v1/allocations/{id} */
  private Route lookup(String id) {
    return respond(spectrum.allocation(id).thenApply(a -> Json.response(StatusCodes.OK, SpectrumViews.AllocationView.of(a))));
  }

  /** DELETE /api/v1/allocations/{id}: releases an active allocation, the caller's own unless an ADMIN. */
  private Route release(String id, io.troupe.runtime.governance.Principal caller) {
    // Unknown ids come back as a not-found refusal, others' as forbidden; an answer is RELEASED or NOT_ACTIVE.
    return respond(spectrum.release(id, caller).thenApply(r -> r.outcome() == DeconflictionCoordinator.ReleaseResult.Outcome.NOT_ACTIVE
        ? Problem.of(StatusCodes.CONFLICT, "allocation " + id + " is already " + r.allocation().status()
            + "; only an APPROVED allocation can be released").toResponse()
        : Json.response(StatusCodes.OK, SpectrumViews.AllocationView.of(r.allocation()))));
  }

  /** GET /api/v1/roe?theater= */
  private Route getRoe() {
    return parameterOptional("theater", theaterParam -> {
      FieldErrors errors = new FieldErrors();
      String theater = SpectrumBodies.theater(theaterParam.orElse(null), "theater", errors);
      if (errors.any()) {
        return problem(errors.problem());
      }
      CompletionStage<Roe> roe = spectrum.roe(theater);
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
      return respond(spectrum.replaceRoe(theater, roe)
          .thenApply(r -> Json.response(StatusCodes.OK, r)));
    }));
  }

}
