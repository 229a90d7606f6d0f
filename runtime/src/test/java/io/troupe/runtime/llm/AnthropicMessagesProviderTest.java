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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Messages API client against a local server speaking the Anthropic wire format. */
class AnthropicMessagesProviderTest extends ProviderResilienceTests {

  static final String PING = event("ping", "{\"type\": \"ping\"}");
  static final String STOP = event("message_stop", "{\"type\":\"message_stop\"}");

  @Override
  protected LlmProvider provider(ProviderSettings settings) {
    return new AnthropicMessagesProvider(settings, 1024);
  }

  @Override
  protected FakeProviderServer.Reply helloReply() {
    return sse(start(10), textStart(0), text(0, "Hel"), text(0, "lo"), blockStop(0), messageDelta("end_turn", 2), STOP);
  }

  @Override
  protected String errorBody(String message) {
    return "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"" + message + "\"}}";
  }

  @Override
  protected String[] unfinishedStream() {
    return new String[] {start(10), textStart(0), text(0, "Hel")};
  }

  static String event(String name, String data) {
    return "event: " + name + "\ndata: " + data + "\n\n";
  }

  static String start(int inputTokens) {
    return event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-test\",\"stop_reason\":null,\"stop_sequence\":null,"
        + "\"usage\":{\"input_tokens\":" + inputTokens + ",\"output_tokens\":1}}}");
  }

  static String textStart(int index) {
    return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index
        + ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
  }

  static String text(int index, String fragment) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
        + ",\"delta\":{\"type\":\"text_delta\",\"text\":\"" + fragment + "\"}}");
  }

  static String toolStart(int index, String id, String name) {
    return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + index
        + ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"input\":{}}}");
  }

  static String inputJson(int index, String partialJsonAsJsonString) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
        + ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":" + partialJsonAsJsonString + "}}");
  }

  static String blockStop(int index) {
    return event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
  }

  static String messageDelta(String stopReason, int outputTokens) {
    return event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" + stopReason
        + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + outputTokens + "}}");
  }

  static LlmRequest conversation() {
    return new LlmRequest("claude-test", List.of(
        ChatMessage.system("You plan spectrum."),
        ChatMessage.system("Be brief."),
        ChatMessage.user("Plan a UHF link."),
        ChatMessage.assistant("Let me look.", List.of(new ToolCall("toolu_1", "lookup_band", "{\"band\":\"UHF\"}"),
            new ToolCall("toolu_2", "check_conflicts", "{\"frequencyMhz\":300}"))),
        ChatMessage.tool("toolu_1", "lookup_band", "{\"lowMhz\":300}"),
        ChatMessage.tool("toolu_2", "check_conflicts", "[]"),
        ChatMessage.assistant("Done: 300 MHz.", List.of()),
        ChatMessage.user("Thanks.")),
        List.of(new ToolSchema("lookup_band", "Look up a band",
            "{\"type\":\"object\",\"properties\":{\"band\":{\"type\":\"string\"}},\"required\":[\"band\"]}")),
        0.3, Duration.ofSeconds(10));
  }

  @Test
  void theRequestFollowsTheMessagesApi() throws Exception {
    server.then(helloReply());
    complete(conversation(), new CopyOnWriteArrayList<>());

    FakeProviderServer.Recorded request = server.requests().get(0);
    assertEquals("POST", request.method());
    assertEquals("/v1/messages", request.path());
    assertEquals(API_KEY, request.header("x-api-key"));
    assertEquals("2023-06-01", request.header("anthropic-version"));
    assertTrue(request.header("content-type").startsWith("application/json"));
    assertNull(request.header("Authorization"));
    JsonNode body = request.body();
    assertEquals("claude-test", body.get("model").asText());
    assertEquals(1024, body.get("max_tokens").asInt());
    assertEquals("You plan spectrum.\n\nBe brief.", body.get("system").asText());
    assertEquals(0.3, body.get("temperature").asDouble());
    assertTrue(body.get("stream").asBoolean());

    JsonNode messages = body.get("messages");
    assertEquals(5, messages.size());
    assertEquals(parsed("{\"role\":\"user\",\"content\":\"Plan a UHF link.\"}"), messages.get(0));
    assertEquals(parsed("{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Let me look.\"},"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"lookup_band\",\"input\":{\"band\":\"UHF\"}},"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"check_conflicts\",\"input\":{\"frequencyMhz\":300}}]}"),
        messages.get(1));
    assertEquals(parsed("{\"role\":\"user\",\"content\":["
        + "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"{\\\"lowMhz\\\":300}\"},"
        + "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\",\"content\":\"[]\"}]}"), messages.get(2));
    assertEquals(parsed("{\"role\":\"assistant\",\"content\":\"Done: 300 MHz.\"}"), messages.get(3));
    assertEquals(parsed("{\"role\":\"user\",\"content\":\"Thanks.\"}"), messages.get(4));
    assertEquals(parsed("[{\"name\":\"lookup_band\",\"description\":\"Look up a band\",\"input_schema\":"
        + "{\"type\":\"object\",\"properties\":{\"band\":{\"type\":\"string\"}},\"required\":[\"band\"]}}]"),
        body.get("tools"));
  }

  @Test
  void noKeyNoKeyHeaderNoSystemNoTools() throws Exception {
    server.then(helloReply());
    new AnthropicMessagesProvider(ProviderSettings.of(server.baseUrl(), ""), AnthropicMessagesProvider.DEFAULT_MAX_TOKENS)
        .complete(simpleRequest(Duration.ofSeconds(5)), null).toCompletableFuture().get(10, TimeUnit.SECONDS);
    JsonNode body = server.requests().get(0).body();
    assertNull(server.requests().get(0).header("x-api-key"));
    assertEquals(4096, body.get("max_tokens").asInt());
    assertFalse(body.has("system"));
    assertFalse(body.has("tools"));
  }

  @Test
  void streamedTextReachesOnTokenInOrder() throws Exception {
    server.then(sse(start(25), PING, textStart(0), text(0, "Hel"), text(0, "lo, ").substring(0, 30),
        text(0, "lo, ").substring(30), text(0, "world"), blockStop(0), messageDelta("end_turn", 15), STOP));
    List<String> tokens = new CopyOnWriteArrayList<>();
    LlmResponse response = complete(simpleRequest(Duration.ofSeconds(10)), tokens);
    assertEquals(List.of("Hel", "lo, ", "world"), tokens);
    assertEquals("Hello, world", response.text());
    assertEquals("end_turn", response.stopReason());
    assertEquals(new Usage(25, 15), response.usage());
  }

  @Test
  void streamedToolUseReassembles() throws Exception {
    server.then(sse(start(472), textStart(0), text(0, "Checking."), blockStop(0),
        toolStart(1, "toolu_01", "lookup_band"), inputJson(1, "\"\""), inputJson(1, "\"{\\\"band\\\":\""),
        inputJson(1, "\" \\\"UHF\\\"}\""), blockStop(1),
        toolStart(2, "toolu_02", "list_bands"), blockStop(2),
        messageDelta("tool_use", 89), STOP));
    List<String> tokens = new CopyOnWriteArrayList<>();
    LlmResponse response = complete(conversation(), tokens);
    assertEquals("Checking.", response.text());
    assertEquals(List.of(new ToolCall("toolu_01", "lookup_band", "{\"band\": \"UHF\"}"),
        new ToolCall("toolu_02", "list_bands", "{}")), response.toolCalls());
    assertEquals("tool_use", response.stopReason());
    assertEquals(new Usage(472, 89), response.usage());
  }

  @Test
  void cachedPromptTokensCountAsInput() throws Exception {
    server.then(sse(event("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,"
        + "\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":1000,\"output_tokens\":1}}}"),
        textStart(0), text(0, "ok"), messageDelta("end_turn", 3), STOP));
    assertEquals(new Usage(1105, 3), complete(simpleRequest(Duration.ofSeconds(5)), new CopyOnWriteArrayList<>()).usage());
  }

  @Test
  void aPlainJsonAnswerIsAcceptedToo() throws Exception {
    server.then(json(200, "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_9\","
        + "\"name\":\"lookup_band\",\"input\":{\"band\":\"VHF\"}}],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
        + "\"usage\":{\"input_tokens\":30,\"output_tokens\":12}}"));
    List<String> tokens = new CopyOnWriteArrayList<>();
    LlmResponse response = complete(conversation(), tokens);
    assertEquals("Checking.", response.text());
    assertEquals(List.of("Checking."), tokens);
    assertEquals(List.of(new ToolCall("toolu_9", "lookup_band", "{\"band\":\"VHF\"}")), response.toolCalls());
    assertEquals(new Usage(30, 12), response.usage());
    assertEquals("tool_use", response.stopReason());
  }

  @Test
  void anErrorEventFails() {
    server.then(sse(start(10), textStart(0), text(0, "Hel"),
        event("error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")));
    LlmException e = failure(simpleRequest(Duration.ofSeconds(5)));
    assertEquals("anthropic", e.provider());
    assertTrue(e.getMessage().contains("overloaded_error: Overloaded"), e.getMessage());
  }

  private static JsonNode parsed(String text) throws Exception {
    return FakeProviderServer.JSON.readTree(text);
  }
}
