package io.troupe.http;

import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;

/**
 * Refuses a NUL character ({@code %00}) in the path or a query parameter with 400 before any
 * route sees it. PostgreSQL cannot hold NUL in text: a filter carrying one reached the database
 * and came back as a 503, and no identifier or filter of this API has a use for it.
 */
final class NulRefusal extends AllDirectives {

  Route refusingNul(Supplier<Route> inner) {
    return extractRequest(request -> nulIn(request)
        .map(where -> complete(Problem.of(StatusCodes.BAD_REQUEST, where + " holds a NUL character (%00)").toResponse()))
        .orElseGet(inner));
  }

  static Optional<String> nulIn(HttpRequest request) {
    if (request.getUri().path().indexOf('\0') >= 0) {
      return Optional.of("the path");
    }
    Iterable<Pair<String, String>> parameters;
    try {
      parameters = request.getUri().query().toList();
    } catch (RuntimeException malformed) {
      return Optional.empty(); // the routes answer a query they cannot read
    }
    for (Pair<String, String> p : parameters) {
      if (p.first().indexOf('\0') >= 0 || p.second().indexOf('\0') >= 0) {
        return Optional.of("query parameter '" + p.first() + "'"); // JSON escapes it in the detail
      }
    }
    return Optional.empty();
  }
}
