package io.troupe.runtime.llm;

import static io.troupe.runtime.llm.FakeProviderServer.json;
import static io.troupe.runtime.llm.FakeProviderServer.sse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Chat Completions client against a local server speaking the OpenAI wire format. */
class OpenAiChatProviderTest extends ProviderResilienceTests {

  static final String DONE = "data: [DONE]\n\n";

  @Override
  protected LlmProvider provider(ProviderSettings settings) {
    return new OpenAiChatProvider(settings);
  }

  @Override
  protected FakeProviderServer.Reply helloReply() {
    return sse(content("Hel"), content("lo"), finish("stop"), usage(5, 2), DONE);
  }

  @Override
  protected String errorBody(String message) {
    return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  }

  @Override
  protected String[] unfinishedStream() {
    return new String[] {content("Hel"), content("lo")};
  }

  static String chunk(String delta, String finishReason) {
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
        + (finishReason == null ? "null" : "\"" + finishReason + "\"") + "}],\"usage\":null}\n\n";
  }

  static String content(String text) {
    return chunk("{\"content\":\"" + text + "\"}", null);
  }

  static String finish(String reason) {
    return chunk("{}", reason);
  }

  static String usage(int prompt, int completion) {
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
        + prompt + ",\"completion_tokens\":" + completion + ",\"total_tokens\":" + (prompt + completion) + "}}\n\n";
  }

  static String toolDelta(String fragment) {
    return chunk("{\"tool_calls\":[" + fragment + "]}", null);
  }

  static LlmRequest conversation() {
    return new LlmRequest("gpt-test", List.of(
        ChatMessage.system("You plan spectrum."),
        ChatMessage.user("Plan a UHF link."),
        ChatMessage.assistant("", List.of(new ToolCall("call_1", "lookup_band", "{\"band\":\"UHF\"}"),
            new ToolCall("call_2", "check_conflicts", "{\"frequencyMhz\":300}"))),
        ChatMessage.tool("call_1", "lookup_band", "{\"lowMhz\":300,\"highMhz\":3000}"),
        ChatMessage.tool("call_2", "check_conflicts", "[]"),
        ChatMessage.assistant("Done: 300 MHz.", List.of()),
        ChatMessage.user("Thanks.")),
        List.of(new ToolSchema("lookup_band", "Look up a band",
            "{\"type\":\"object\",\"properties\":{\"band\":{\"type\":\"string\"}},\"required\":[\"band\"]}")),
        0.3, Duration.ofSeconds(10));
  }

  @Test
  void theRequestFollowsTheChatCompletionsApi() throws Exception {
    server.then(helloReply());
    complete(conversation(), new CopyOnWriteArrayList<>());

    FakeProviderServer.Recorded request = server.requests().get(0);
    assertEquals("POST", request.method());
    assertEquals("/chat/completions", request.path());
    assertEquals("Bearer " + API_KEY, request.header("Authorization"));
    assertTrue(request.header("Content-Type").startsWith("application/json"));
    JsonNode body = request.body();
    assertEquals("gpt-test", body.get("model").asText());
    assertEquals(0.3, body.get("temperature").asDouble());
    assertTrue(body.get("stream").asBoolean());
    assertTrue(body.get("stream_options").get("include_usage").asBoolean());

    JsonNode messages = body.get("messages");
    assertEquals(7, messages.size());
    assertEquals(parsed("{\"role\":\"system\",\"content\":\"You plan spectrum.\"}"), messages.get(0));
    assertEquals(parsed("{\"role\":\"user\",\"content\":\"Plan a UHF link.\"}"), messages.get(1));
    assertEquals(parsed("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        + "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"lookup_band\",\"arguments\":\"{\\\"band\\\":\\\"UHF\\\"}\"}},"
        + "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"check_conflicts\","
        + "\"arguments\":\"{\\\"frequencyMhz\\\":300}\"}}]}"), messages.get(2));
    assertEquals(parsed("{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"lowMhz\\\":300,\\\"highMhz\\\":3000}\"}"),
        messages.get(3));
    assertEquals(parsed("{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"[]\"}"), messages.get(4));
    assertEquals(parsed("{\"role\":\"assistant\",\"content\":\"Done: 300 MHz.\"}"), messages.get(5));
    assertEquals(parsed("[{\"type\":\"function\",\"function\":{\"name\":\"lookup_band\",\"description\":\"Look up a band\","
        + "\"parameters\":{\"type\":\"object\",\"properties\":{\"band\":{\"type\":\"string\"}},\"required\":[\"band\"]}}}]"),
        body.get("tools"));
  }

  @Test
  void noKeyNoAuthorizationAndNoToolsNoToolsField() throws Exception {
    server.then(helloReply());
    new OpenAiChatProvider(ProviderSettings.of(server.baseUrl() + "/", ""))
        .complete(simpleRequest(Duration.ofSeconds(5)), null).toCompletableFuture().get(10, TimeUnit.SECONDS);
    FakeProviderServer.Recorded request = server.requests().get(0);
    assertEquals("/chat/completions", request.path());
    assertNull(request.header("Authorization"));
    assertFalse(request.body().has("tools"));
  }

  @Test
  void streamedTextReachesOnTokenInOrderAsItArrives() throws Exception {
    CountDownLatch firstTokenSeen = new CountDownLatch(1);
    boolean[] gateOpened = {false};
    // The second half is only sent once the client has handed the first fragment to the caller.
    server.then(FakeProviderServer.sseGated(List.of(chunk("{\"role\":\"assistant\",\"content\":\"\"}", null),
            content("Hel")), firstTokenSeen,
        List.of(content("lo, "), content("wor").substring(0, 40), content("wor").substring(40), content("ld"),
            finish("stop"), usage(12, 4), DONE), gateOpened));
    List<String> tokens = new CopyOnWriteArrayList<>();
    LlmResponse response = provider(settings()).complete(simpleRequest(Duration.ofSeconds(10)), token -> {
      tokens.add(token);
      firstTokenSeen.countDown();
    }).toCompletableFuture().get(15, TimeUnit.SECONDS);

    assertTrue(gateOpened[0], "the first token was not delivered while the stream was open");
    assertEquals(List.of("Hel", "lo, ", "wor", "ld"), tokens);
    assertEquals("Hello, world", response.text());
    assertEquals("stop", response.stopReason());
    assertEquals(new Usage(12, 4), response.usage());
    assertTrue(response.toolCalls().isEmpty());
  }

  @Test
  void parallelToolCallDeltasReassemble() throws Exception {
    server.then(sse(
        chunk("{\"role\":\"assistant\",\"content\":null}", null),
        toolDelta("{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"lookup_band\",\"arguments\":\"\"}}"),
        toolDelta("{\"index\":0,\"function\":{\"arguments\":\"{\\\"ba\"}}"),
        toolDelta("{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"check_conflicts\",\"arguments\":\"\"}}"),
        toolDelta("{\"index\":0,\"function\":{\"arguments\":\"nd\\\": \\\"UHF\\\"}\"}}"),
        toolDelta("{\"index\":1,\"function\":{\"arguments\":\"{\\\"frequencyMhz\\\":\"}}"),
        toolDelta("{\"index\":1,\"function\":{\"arguments\":\" 300}\"}}"),
        finish("tool_calls"), usage(40, 22), DONE));
    LlmResponse response = complete(conversation(), new CopyOnWriteArrayList<>());

    assertEquals(List.of(new ToolCall("call_a", "lookup_band", "{\"band\": \"UHF\"}"),
        new ToolCall("call_b", "check_conflicts", "{\"frequencyMhz\": 300}")), response.toolCalls());
    assertEquals("tool_calls", response.stopReason());
    assertEquals(new Usage(40, 22), response.usage());
    assertEquals("", response.text());
  }

  @Test
  void aPlainJsonAnswerIsAcceptedToo() throws Exception {
    server.then(json(200, "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":[{\"id\":\"call_x\","
        + "\"type\":\"function\",\"function\":{\"name\":\"lookup_band\",\"arguments\":\"{\\\"band\\\":\\\"VHF\\\"}\"}}]},"
        + "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7,\"total_tokens\":16}}"));
    List<String> tokens = new CopyOnWriteArrayList<>();
    LlmResponse response = complete(conversation(), tokens);
    assertEquals("Checking.", response.text());
    assertEquals(List.of("Checking."), tokens);
    assertEquals(List.of(new ToolCall("call_x", "lookup_band", "{\"band\":\"VHF\"}")), response.toolCalls());
    assertEquals(new Usage(9, 7), response.usage());
    assertEquals("tool_calls", response.stopReason());
  }

  @Test
  void anErrorInsideTheStreamFails() {
    server.then(sse(content("Hel"), "data: {\"error\":{\"message\":\"model crashed\",\"type\":\"server_error\"}}\n\n"));
    LlmException e = failure(simpleRequest(Duration.ofSeconds(5)));
    assertTrue(e.getMessage().contains("model crashed"), e.getMessage());
  }

  private static JsonNode parsed(String text) throws Exception {
    return FakeProviderServer.JSON.readTree(text);
  }
}
