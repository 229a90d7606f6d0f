package io.troupe.runtime.llm;

import static io.troupe.runtime.llm.FakeProviderServer.json;
import static io.troupe.runtime.llm.FakeProviderServer.silence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What both real clients must do over HTTP whatever the wire format: retry 429 (honouring
 * Retry-After) and 5xx, fail at once on other 4xx with the provider's own message and without
 * the key, fail on malformed or broken answers, and never outlive the request's timeout.
 */
abstract class ProviderResilienceTests {

  static final String API_KEY = "sk-test-SECRET-0123456789abcdef";

  protected FakeProviderServer server;

  /** The client under test, pointed at {@link #server}. */
  protected abstract LlmProvider provider(ProviderSettings settings);

  /** A successful streamed answer whose text is "Hello". */
  protected abstract FakeProviderServer.Reply helloReply();

  /** The provider's error body carrying {@code message}. */
  protected abstract String errorBody(String message);

  /** A stream that starts well and then stops in the middle, without its end marker. */
  protected abstract String[] unfinishedStream();

  @BeforeEach
  void startServer() throws Exception {
    server = FakeProviderServer.start();
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  protected ProviderSettings settings() {
    return new ProviderSettings(server.baseUrl(), API_KEY, 4, Duration.ofMillis(50), Duration.ofMillis(200));
  }

  protected static LlmRequest simpleRequest(Duration timeout) {
    return new LlmRequest("test-model", List.of(ChatMessage.user("Say hello")), List.of(), 0.2, timeout);
  }

  protected LlmResponse complete(LlmRequest request, List<String> tokens) throws Exception {
    return provider(settings()).complete(request, tokens::add).toCompletableFuture()
        .get(request.timeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
  }

  protected LlmException failure(LlmRequest request) {
    ExecutionException thrown = assertThrows(ExecutionException.class, () -> complete(request, new CopyOnWriteArrayList<>()));
    return assertInstanceOf(LlmException.class, thrown.getCause());
  }

  @Test
  void retriesA429AfterTheRetryAfterDelay() throws Exception {
    server.then(json(429, errorBody("Rate limit reached"), "Retry-After", "1"), helloReply());
    long start = System.nanoTime();
    LlmResponse response = complete(simpleRequest(Duration.ofSeconds(10)), new CopyOnWriteArrayList<>());
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals("Hello", response.text());
    assertEquals(2, server.requests().size());
    assertTrue(elapsedMs >= 1000, "waited only " + elapsedMs + " ms");
  }

  @Test
  void retriesServerErrorsWithinMaxAttempts() throws Exception {
    String error = errorBody("internal");
    server.then(json(500, error), json(502, "<html>bad gateway</html>"), json(503, error), helloReply());
    LlmResponse response = complete(simpleRequest(Duration.ofSeconds(10)), new CopyOnWriteArrayList<>());
    assertEquals("Hello", response.text());
    assertEquals(4, server.requests().size());
  }

  @Test
  void givesUpAfterMaxAttempts() {
    String error = errorBody("overloaded");
    server.then(json(500, error), json(500, error), json(500, error), json(500, error), helloReply());
    LlmException e = failure(simpleRequest(Duration.ofSeconds(10)));
    assertEquals(500, e.status());
    assertTrue(e.getMessage().contains("overloaded") && e.getMessage().contains("4 attempts"), e.getMessage());
    assertEquals(4, server.requests().size());
  }

  @Test
  void aClientErrorFailsAtOnceWithTheProvidersMessageAndNoKey() {
    server.then(json(400, errorBody("messages: bad shape, key " + API_KEY)), helloReply());
    LlmException e = failure(simpleRequest(Duration.ofSeconds(10)));
    assertEquals(1, server.requests().size());
    assertEquals(400, e.status());
    String name = provider(settings()).name();
    assertEquals(name, e.provider());
    assertTrue(e.getMessage().startsWith(name + " answered HTTP 400"), e.getMessage());
    assertTrue(e.getMessage().contains("messages: bad shape"), e.getMessage());
    assertFalse(e.getMessage().contains(API_KEY), e.getMessage());
    assertFalse(e.getMessage().contains("Say hello"), "leaks the request: " + e.getMessage());
  }

  @Test
  void aRetryAfterBeyondTheDeadlineFailsAtOnce() {
    server.then(json(429, errorBody("slow down"), "Retry-After", "30"), helloReply());
    long start = System.nanoTime();
    LlmException e = failure(simpleRequest(Duration.ofSeconds(5)));
    assertTrue((System.nanoTime() - start) / 1_000_000 < 3_000, "waited for a hopeless retry");
    assertEquals(429, e.status());
    assertTrue(e.getMessage().contains("slow down"), e.getMessage());
    assertEquals(1, server.requests().size());
  }

  @Test
  void aReplyCapIsSentAsMaxTokens() throws Exception {
    server.then(helloReply());
    LlmRequest simple = simpleRequest(Duration.ofSeconds(5));
    LlmRequest capped = new LlmRequest(simple.model(), simple.messages(), simple.tools(), simple.temperature(),
        simple.timeout(), 77);
    complete(capped, new java.util.concurrent.CopyOnWriteArrayList<>());
    assertEquals(77, server.requests().get(0).body().get("max_tokens").asInt(),
        "the session's budget estimate relies on the model stopping there");
  }

  @Test
  void malformedJsonFails() {
    server.then(json(200, "{\"choices\": [ {\"message\": "));
    LlmException e = failure(simpleRequest(Duration.ofSeconds(5)));
    assertEquals(0, e.status());
    assertTrue(e.getMessage().contains("malformed"), e.getMessage());
  }

  @Test
  void aGarbledStreamChunkFails() {
    server.then(FakeProviderServer.sse("data: {\"type\": \"oops\", \n\n", "data: [DONE]\n\n"));
    LlmException e = failure(simpleRequest(Duration.ofSeconds(5)));
    assertTrue(e.getMessage().contains("malformed"), e.getMessage());
  }

  @Test
  void aStreamThatEndsEarlyFails() {
    server.then(FakeProviderServer.sse(unfinishedStream()));
    LlmException e = failure(simpleRequest(Duration.ofSeconds(5)));
    assertTrue(e.getMessage().contains("stream ended"), e.getMessage());
  }

  @Test
  void aDroppedConnectionMidStreamFails() {
    server.then(FakeProviderServer.truncated(String.join("", unfinishedStream())));
    LlmException e = failure(simpleRequest(Duration.ofSeconds(5)));
    assertEquals(1, server.requests().size(), "a started stream is not retried");
    assertEquals(0, e.status());
    assertTrue(e.getMessage().contains("stream broke"), e.getMessage());
  }

  @Test
  void connectionFailuresAreRetriedThenReported() throws Exception {
    ProviderSettings nowhere = new ProviderSettings("http://127.0.0.1:1", API_KEY, 3, Duration.ofMillis(20),
        Duration.ofMillis(50));
    ExecutionException thrown = assertThrows(ExecutionException.class, () -> provider(nowhere)
        .complete(simpleRequest(Duration.ofSeconds(5)), token -> { }).toCompletableFuture().get(10, TimeUnit.SECONDS));
    LlmException e = assertInstanceOf(LlmException.class, thrown.getCause());
    assertEquals(0, e.status());
    assertTrue(e.getMessage().contains("request failed") && e.getMessage().contains("3 attempts"), e.getMessage());
  }

  @Test
  void aServerThatNeverAnswersTimesOut() {
    server.then(silence(), silence(), silence(), silence());
    long start = System.nanoTime();
    LlmException e = failure(simpleRequest(Duration.ofSeconds(1)));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(elapsedMs >= 900 && elapsedMs < 2_500, "took " + elapsedMs + " ms");
    assertEquals(0, e.status());
  }

  @Test
  void aStreamThatStallsTimesOut() {
    server.then(FakeProviderServer.sseThenStall(unfinishedStream()));
    long start = System.nanoTime();
    LlmException e = failure(simpleRequest(Duration.ofSeconds(1)));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(elapsedMs >= 900 && elapsedMs < 2_500, "took " + elapsedMs + " ms");
    assertTrue(e.getMessage().contains("within 1000 ms"), e.getMessage());
  }
}
