package io.troupe.http;

import static io.troupe.http.OpenAiCalls.SESSION;
import static io.troupe.http.OpenAiCalls.ask;
import static io.troupe.http.OpenAiCalls.askStreaming;
import static io.troupe.http.OpenAiCalls.assertCompletion;
import static io.troupe.http.OpenAiCalls.chunks;
import static io.troupe.http.OpenAiCalls.complete;
import static io.troupe.http.OpenAiCalls.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Turns longer than the connection's idle timeout (2 s here; 60 s by default): Pekko closes a
 * connection on which no byte moved for that long, also while a request waits, so a whole answer
 * not ready within half of it is begun with spaces (valid JSON whitespace) and a stream sends
 * keep-alive comments; a turn past troupe.openai.completion-timeout (6 s here) is answered as a
 * timeout, while it goes on in its session.
 */
@RunningNodeTest(config = {
    "pekko.http.server.idle-timeout = 2s",
    "troupe.broker.stream-keep-alive = 500ms",
    "troupe.openai.completion-timeout = 6s"})
class OpenAiLongTurnTest {

  private static final Duration HOLD = Duration.ofMillis(3500);
  private static HeldModel model;
  @FromNode private static HttpClientForTests http;

  static Map<String, Object> nodeConfig() throws IOException {
    model = new HeldModel();
    return Map.of("troupe.llm.openai.base-url", model.baseUrl(), "troupe.llm.max-attempts", 1);
  }

  @AfterAll
  static void stopModel() {
    if (model != null) {
      model.close();
    }
  }

  private static String heldAgent() {
    String name = AgentCalls.uniqueName("long");
    AgentCalls.define(http, name, Json.MAPPER.createObjectNode().put("role", "Slow " + name).put("provider", "openai")
        .put("model", "held-model"));
    return name;
  }

  @Test
  void aWholeAnswerLongerThanTheIdleTimeoutArrivesAfterSpaces() throws Exception {
    String agent = heldAgent();
    CompletableFuture<HttpClientForTests.Answer> answer =
        CompletableFuture.supplyAsync(() -> complete(http, ask(agent, "take your time")));
    model.awaitRequest();
    Thread.sleep(HOLD.toMillis()); // the model holds the turn: no clock in the node to wait on
    model.releaseOne();
    HttpClientForTests.Answer a = answer.get(30, TimeUnit.SECONDS);
    assertTrue(a.body().startsWith(" "), () -> "begun with spaces: " + a.body());
    assertCompletion(a, agent, HeldModel.ANSWER);
  }

  @Test
  void aStreamLongerThanTheIdleTimeoutIsKeptAliveByComments() throws Exception {
    String agent = heldAgent();
    CompletableFuture<HttpClientForTests.Answer> answer =
        CompletableFuture.supplyAsync(() -> complete(http, askStreaming(agent, "take your time", false)));
    model.awaitRequest();
    Thread.sleep(HOLD.toMillis());
    model.releaseOne();
    HttpClientForTests.Answer a = answer.get(30, TimeUnit.SECONDS);
    assertTrue(a.body().contains(": keep-alive\n\n"), a::body);
    assertEquals(HeldModel.ANSWER, text(chunks(a)));
  }

  @Test
  void aTurnPastTheCompletionTimeoutIsAnsweredAsATimeoutAndGoesOnInItsSession() throws Exception {
    String agent = heldAgent();
    HttpClientForTests.Answer whole = complete(http, ask(agent, "never mind"));
    // Begun with spaces before the timeout: OpenAI's error object ends the 200 body.
    assertEquals(200, whole.status(), whole::body);
    JsonNode error = AgentCalls.parse(whole.body().strip()).get("error");
    assertEquals("timeout", error.get("code").asText(), whole::body);
    String id = whole.header(SESSION);
    assertTrue(error.get("message").asText().contains(id), error::toString);
    assertEquals("RUNNING", AgentCalls.session(http, id).get("status").asText());

    HttpClientForTests.Answer streamed = complete(http, askStreaming(agent, "never mind", false));
    List<String> data = OpenAiCalls.events(streamed.body());
    assertFalse(data.contains("[DONE]"), streamed::body);
    assertEquals("timeout", AgentCalls.parse(data.get(data.size() - 1)).get("error").get("code").asText());
    model.releaseOne();
    model.releaseOne();
  }
}
