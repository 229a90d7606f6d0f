package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.ratelimit.RateDecision;
import io.troupe.runtime.service.Refused;
import java.io.IOException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.junit.jupiter.api.Test;

/**
 * The rewriting of the shared edge's problems in OpenAI's error shape, for the answers no test
 * node gives readily (test nodes lift the rate limits): a 429 keeps its status and Retry-After,
 * and every status gets its type and code.
 */
class OpenAiErrorsTest {

  private static JsonNode error(HttpResponse response) throws IOException {
    assertEquals("application/json", response.entity().getContentType().mediaType().toString());
    return Json.MAPPER.readTree(((HttpEntity.Strict) response.entity()).getData().toArray()).get("error");
  }

  @Test
  void aRateLimitRefusalIsOpenAisRateLimitErrorWithItsRetryAfter() throws IOException {
    HttpResponse problem = RateLimitDirectives.tooManyRequests(
        RateDecision.refused(42_000_000_000L, "20 per 1 minute"), EndpointClass.MODEL_RUNNING);
    HttpResponse rewritten = OpenAiErrors.fromProblem(problem);
    assertEquals(429, rewritten.status().intValue());
    assertEquals("42", rewritten.getHeader("Retry-After").orElseThrow().value());
    JsonNode error = error(rewritten);
    assertEquals("rate_limit_exceeded", error.get("code").asText());
    assertEquals("requests", error.get("type").asText());
    assertTrue(error.get("message").asText().contains("20 per 1 minute for model_running"), error::toString);
    assertTrue(error.get("param").isNull());
  }

  @Test
  void eachStatusHasItsTypeAndCodeAndAValidationProblemNamesItsField() throws IOException {
    JsonNode quota = error(OpenAiErrors.fromProblem(ProblemHandlers.toResponse(Refused.tooMany("quota exceeded", 3))));
    assertEquals("rate_limit_exceeded", quota.get("code").asText());
    JsonNode busy = error(OpenAiErrors.fromProblem(ProblemHandlers.toResponse(Refused.busy("busy", 1))));
    assertEquals("server_error", busy.get("type").asText());
    assertEquals("service_unavailable", busy.get("code").asText());
    JsonNode forbidden = error(OpenAiErrors.fromProblem(ProblemHandlers.toResponse(Refused.forbidden("not yours"))));
    assertEquals("permission_error", forbidden.get("type").asText());
    assertEquals("not yours", forbidden.get("message").asText());
    JsonNode invalid = error(OpenAiErrors.fromProblem(Problem.invalid("limit", "must be positive").toResponse()));
    assertEquals("invalid_request_error", invalid.get("type").asText());
    assertEquals("limit", invalid.get("param").asText());
    assertTrue(invalid.get("code").isNull());
    JsonNode internal = error(OpenAiErrors.fromProblem(Problem.of(StatusCodes.INTERNAL_SERVER_ERROR, "x").toResponse()));
    assertEquals("server_error", internal.get("type").asText());
  }

  @Test
  void answersThatAreNoProblemPassAsTheyAre() {
    HttpResponse ok = Json.response(StatusCodes.OK, java.util.Map.of("a", 1));
    assertSame(ok, OpenAiErrors.fromProblem(ok));
  }
}
