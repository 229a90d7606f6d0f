package io.troupe.http;

import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.session;
import static io.troupe.http.AgentCalls.toolThenAnswer;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.OpenAiCalls.SESSION;
import static io.troupe.http.OpenAiCalls.ask;
import static io.troupe.http.OpenAiCalls.askStreaming;
import static io.troupe.http.OpenAiCalls.assertCompletion;
import static io.troupe.http.OpenAiCalls.assertOpenAiError;
import static io.troupe.http.OpenAiCalls.chunks;
import static io.troupe.http.OpenAiCalls.complete;
import static io.troupe.http.OpenAiCalls.text;
import static io.troupe.http.OpenAiCalls.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, point 10: {@code POST /v1/chat/completions} runs Troupe agents as OpenAI's chat API
 * answers: whole or streamed (chunks, a finishing chunk, usage, [DONE]), a new session per request
 * unless {@code X-Troupe-Session} continues a conversation, tool calls run inside Troupe, and what a
 * turn cannot do now (one running, a session that is no conversation or has ended) is a 409 in
 * OpenAI's error shape. The held model (an OpenAI-compatible stand-in on loopback) streams its
 * answer in two tokens, when the test lets it.
 */
@RunningNodeTest
class OpenAiChatTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
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

  private static ObjectNode conversational(String script) {
    ObjectNode body = scripted("Chat partner " + uniqueName("role"), List.of(), script);
    body.put("conversational", true);
    return body;
  }

  private static String agent(String prefix, JsonNode definition) {
    String name = uniqueName(prefix);
    define(http, name, definition);
    return name;
  }

  @Test
  void aCompletionStartsAConversationAndTheHeaderContinuesIt() {
    String agent = agent("chat", conversational("[{\"text\":\"first answer\"},{\"text\":\"second answer\"}]"));
    HttpClientForTests.Answer first = complete(http, ask(agent, "hello"));
    JsonNode completion = assertCompletion(first, agent, "first answer");
    String id = first.header(SESSION);
    assertEquals("chatcmpl-" + id + "-1", completion.get("id").asText());
    assertNull(first.header("x-should-retry"));

    // The client sends the whole history, as OpenAI clients do: with the header only the last message counts.
    ObjectNode next = with(with(ask(agent, "hello"), "assistant", "first answer"), "user", "and then?");
    next.put("temperature", 0.7).put("max_tokens", 50).put("user", "someone"); // ignored: the agent's settings apply
    HttpClientForTests.Answer second = complete(http, next, id);
    JsonNode secondCompletion = assertCompletion(second, agent, "second answer");
    assertEquals(id, second.header(SESSION));
    assertEquals("chatcmpl-" + id + "-2", secondCompletion.get("id").asText());

    JsonNode view = session(http, id);
    assertEquals("WAITING_FOR_INPUT", view.get("status").asText());
    assertEquals(2, view.get("turnCount").asInt());
    assertEquals("and then?", view.get("turns").get(1).get("input").asText());
    JsonNode turn2 = view.get("turns").get(1);
    assertEquals(turn2.get("inputTokens").asLong(), secondCompletion.get("usage").get("prompt_tokens").asLong());
    assertEquals(turn2.get("outputTokens").asLong(), secondCompletion.get("usage").get("completion_tokens").asLong());
    // The session is the caller's, as if started through /api/v1.
    assertEquals("admin", view.get("userId").asText());
  }

  @Test
  void aStreamSendsTheRoleTheTextTheFinishUsageAndDone() {
    String agent = agent("streamed", conversational("[{\"text\":\"streamed answer\"},{\"text\":\"again\"}]"));
    HttpClientForTests.Answer answer = complete(http, askStreaming(agent, "stream it", true));
    List<JsonNode> chunks = chunks(answer);
    String id = answer.header(SESSION);
    assertTrue(id.startsWith(agent + "~"), id);
    assertTrue(answer.header("Cache-Control").contains("no-cache"));
    for (JsonNode chunk : chunks) {
      assertEquals("chatcmpl-" + id + "-1", chunk.get("id").asText());
      assertEquals(agent, chunk.get("model").asText());
      assertTrue(chunk.has("usage"), () -> "with include_usage every chunk has usage (null but the last): " + chunk);
    }
    JsonNode role = chunks.get(0).get("choices").get(0);
    assertEquals("assistant", role.get("delta").get("role").asText());
    assertTrue(role.get("finish_reason").isNull());
    assertEquals("streamed answer", text(chunks));
    JsonNode finish = chunks.get(chunks.size() - 2);
    assertEquals("stop", finish.get("choices").get(0).get("finish_reason").asText());
    assertTrue(finish.get("usage").isNull(), finish::toString);
    JsonNode usageChunk = chunks.get(chunks.size() - 1);
    assertEquals(0, usageChunk.get("choices").size(), "OpenAI's usage chunk has no choices");
    JsonNode usage = usageChunk.get("usage");
    assertTrue(usage.get("prompt_tokens").asLong() > 0 && usage.get("completion_tokens").asLong() > 0, usage::toString);

    // Without include_usage the finishing chunk carries the usage, and every chunk has one choice.
    HttpClientForTests.Answer next = complete(http, askStreaming(agent, "once more", false), id);
    List<JsonNode> more = chunks(next);
    assertEquals("again", text(more));
    more.forEach(c -> assertEquals(1, c.get("choices").size(), c::toString));
    JsonNode last = more.get(more.size() - 1);
    assertEquals("stop", last.get("choices").get(0).get("finish_reason").asText());
    assertTrue(last.get("usage").get("total_tokens").asLong() > 0, last::toString);
    assertEquals("chatcmpl-" + id + "-2", last.get("id").asText());
  }

  @Test
  void toolCallsRunInsideTroupeAndTheClientSeesTheAnswer() {
    String topic = uniqueName("openai-tools");
    String args = "{\"topic\":\"" + topic + "\",\"messageType\":\"note\",\"content\":{\"n\":1}}";
    String agent = agent("tooling", scripted("Publisher " + topic, List.of("publish_to_topic"),
        toolThenAnswer("Publishing.", "publish_to_topic", args, "Published.")));
    assertCompletion(complete(http, ask(agent, "publish")), agent, "Published.");
    assertEquals(1, BrokerCalls.messages(http, topic, "?from=1").get("messages").size(), "the tool ran once, inside");

    // Streamed: the text the model wrote around its call comes too, a blank line before the answer.
    String streamedTopic = uniqueName("openai-tools-streamed");
    String streamedArgs = "{\"topic\":\"" + streamedTopic + "\",\"messageType\":\"note\",\"content\":{\"n\":1}}";
    String streamedAgent = agent("tooling-streamed", scripted("Publisher " + streamedTopic, List.of("publish_to_topic"),
        toolThenAnswer("Publishing.", "publish_to_topic", streamedArgs, "Published.")));
    List<JsonNode> chunks = chunks(complete(http, askStreaming(streamedAgent, "publish", false)));
    assertEquals("Publishing.\n\nPublished.", text(chunks));
    assertEquals(1, BrokerCalls.messages(http, streamedTopic, "?from=1").get("messages").size());
  }

  @Test
  void aRealModelsTokensStreamAsTheyComeAndARunningTurnIsA409() throws Exception {
    ObjectNode held = Json.MAPPER.createObjectNode().put("role", "Slow " + uniqueName("role"))
        .put("provider", "openai").put("model", "held-model").put("conversational", true);
    String agent = agent("held-chat", held);
    CompletableFuture<HttpClientForTests.Answer> streaming =
        CompletableFuture.supplyAsync(() -> complete(http, askStreaming(agent, "take your time", true)));
    model.awaitRequest();
    String id = Eventually.await(WAIT, "the session is listed", () -> {
      JsonNode list = http.get("/api/v1/agents/" + agent + "/sessions").json().get("sessions");
      return list.isEmpty() ? Optional.empty() : Optional.of(list.get(0).get("sessionId").asText());
    });
    HttpClientForTests.Answer busy = complete(http, ask(agent, "are you there?"), id);
    JsonNode error = assertOpenAiError(busy, 409, "turn_in_progress");
    assertTrue(error.get("message").asText().contains("still running a turn"), error::toString);
    assertNull(busy.header("x-should-retry"), "a running turn is a lock: the client may retry");

    model.releaseOne();
    HttpClientForTests.Answer answer = streaming.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(id, answer.header(SESSION));
    List<JsonNode> chunks = chunks(answer);
    assertEquals(HeldModel.ANSWER, text(chunks));
    List<String> deltas = chunks.stream().map(c -> c.get("choices"))
        .filter(c -> c.size() == 1 && c.get(0).get("delta").has("content")).map(c -> c.get(0).get("delta").get("content").asText())
        .filter(t -> !t.isEmpty()).toList();
    assertEquals(List.of("Slow ", "answer."), deltas, "the model's tokens, one chunk each");
    JsonNode usage = chunks.get(chunks.size() - 1).get("usage");
    assertEquals(12, usage.get("prompt_tokens").asLong());
    assertEquals(3, usage.get("completion_tokens").asLong());
    assertEquals(15, usage.get("total_tokens").asLong());
  }

  @Test
  void aSessionThatCannotTakeTheNextTurnIsA409() {
    String oneShot = agent("one-shot", AgentCalls.answering("only once " + uniqueName("x")));
    HttpClientForTests.Answer first = complete(http, ask(oneShot, "hi"));
    assertEquals(200, first.status(), first::body);
    String id = first.header(SESSION);
    assertEquals("COMPLETED", session(http, id).get("status").asText());
    HttpClientForTests.Answer again = complete(http, ask(oneShot, "again"), id);
    JsonNode refused = assertOpenAiError(again, 409, "not_conversational");
    assertTrue(refused.get("message").asText().contains("not a conversation"), refused::toString);
    assertEquals("false", again.header("x-should-retry"));

    String chat = agent("closed-chat", conversational("[{\"text\":\"bye\"}]"));
    String chatId = complete(http, ask(chat, "hi")).header(SESSION);
    assertEquals(200, http.postJson("/api/v1/sessions/" + chatId + "/close", "{}").status());
    HttpClientForTests.Answer ended = complete(http, ask(chat, "still there?"), chatId);
    assertOpenAiError(ended, 409, "session_ended");
    assertEquals("false", ended.header("x-should-retry"));

    // The header's session must be one of the model's agent.
    JsonNode mismatch = assertOpenAiError(complete(http, ask(oneShot, "x"), chatId), 400, "model_mismatch");
    assertEquals("model", mismatch.get("param").asText());
    assertOpenAiError(complete(http, ask(chat, "x"), "not-a-session"), 404, "session_not_found");
    assertOpenAiError(complete(http, ask(chat, "x"), chat + "~0000000000000-00000000"), 404, "session_not_found");
  }

  @Test
  void aTurnWhoseSessionFailsIsAnErrorInBothModes() {
    // The script has one reply: the second turn's model call fails, and with it the session.
    String agent = agent("failing", conversational("[{\"text\":\"only one\"}]"));
    HttpClientForTests.Answer first = complete(http, ask(agent, "one"));
    String id = first.header(SESSION);
    HttpClientForTests.Answer failed = complete(http, ask(agent, "two"), id);
    JsonNode error = assertOpenAiError(failed, 500, "agent_failed");
    assertEquals("server_error", error.get("type").asText());
    assertTrue(error.get("message").asText().contains("ended ERROR"), error::toString);
    assertEquals("false", failed.header("x-should-retry"), "the agent ran: a retry would run it again");
    assertEquals(id, failed.header(SESSION));

    String streamed = agent("failing-streamed", conversational("[{\"text\":\"only one\"}]"));
    String streamedId = complete(http, ask(streamed, "one")).header(SESSION);
    HttpClientForTests.Answer answer = complete(http, askStreaming(streamed, "two", false), streamedId);
    assertEquals(200, answer.status(), answer::body);
    List<String> data = OpenAiCalls.events(answer.body());
    JsonNode last = AgentCalls.parse(data.get(data.size() - 1));
    assertEquals("agent_failed", last.get("error").get("code").asText(), answer::body);
    assertFalse(data.contains("[DONE]"), "a failed stream ends with its error, not [DONE]");
  }

  @Test
  void withoutTheHeaderEarlierMessagesAreFoldedIntoTheInputAndSystemMessagesLeftOut() {
    String agent = agent("folding", conversational("[{\"text\":\"folded\"}]"));
    ObjectNode body = Json.MAPPER.createObjectNode().put("model", agent);
    body.putArray("messages")
        .add(Json.MAPPER.createObjectNode().put("role", "system").put("content", "You are a pirate."))
        .add(Json.MAPPER.createObjectNode().put("role", "user").put("content", "What is 2+2?"))
        .add(Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "4"))
        .add(Json.MAPPER.createObjectNode().put("role", "user").set("content", Json.MAPPER.createArrayNode()
            .add(Json.MAPPER.createObjectNode().put("type", "text").put("text", "And times 3?"))));
    HttpClientForTests.Answer answer = complete(http, body);
    assertCompletion(answer, agent, "folded");
    String input = session(http, answer.header(SESSION)).get("input").asText();
    assertEquals(ChatRequest.TRANSCRIPT_HEADING + "\n\nUser: What is 2+2?\n\nAssistant: 4\n\n"
        + ChatRequest.CURRENT_HEADING + "\nAnd times 3?", input);
    assertFalse(input.contains("pirate"), "the agent's own system prompt applies");
  }
}
