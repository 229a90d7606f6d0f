package io.troupe.http;

import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.OpenAiCalls.COMPLETIONS;
import static io.troupe.http.OpenAiCalls.ask;
import static io.troupe.http.OpenAiCalls.assertCompletion;
import static io.troupe.http.OpenAiCalls.assertOpenAiError;
import static io.troupe.http.OpenAiCalls.complete;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible door's guard and errors, against a real node: the same API keys (as
 * {@code Authorization: Bearer}), permissions (sessions:run, agents:read), owners and audit as
 * {@code /api/v1}, every error in OpenAI's shape with the right status, and {@code GET /v1/models}
 * listing the agents a key may run.
 */
@RunningNodeTest
class OpenAiDoorTest {

  @FromNode private static HttpClientForTests http;
  private static SecurityCalls.UserKey alice;
  private static SecurityCalls.UserKey bob;
  private static SecurityCalls.UserKey reader;

  @BeforeAll
  static void users() {
    alice = SecurityCalls.userWithKey(http, "Alice", "USER");
    bob = SecurityCalls.userWithKey(http, "Bob", "USER");
    reader = SecurityCalls.userWithKey(http, "Reader", "READONLY");
  }

  private static String agentOf(HttpClientForTests owner, String prefix, boolean shared) {
    String name = uniqueName(prefix);
    ObjectNode def = answering("answer of " + name);
    if (shared) {
      def.put("shared", true);
    }
    define(owner, name, def);
    return name;
  }

  @Test
  void keysArePresentedAsBearerAndInvalidOnesAre401InOpenAisShape() {
    String agent = agentOf(http, "keyed", true);
    JsonNode missing = assertOpenAiError(complete(http.as(null), ask(agent, "hi")), 401, "invalid_api_key");
    assertEquals("invalid_request_error", missing.get("type").asText());
    HttpClientForTests.Answer wrong = complete(http.as("trp.u-0000.k-0000.not-a-secret"), ask(agent, "hi"));
    assertOpenAiError(wrong, 401, "invalid_api_key");
    assertEquals("Bearer realm=\"troupe\"", wrong.header("WWW-Authenticate"));
    assertOpenAiError(http.as(null).get("/v1/models"), 401, "invalid_api_key");
    // The key of a USER works as OpenAI's clients send it.
    assertCompletion(complete(http.as(alice.key()), ask(agent, "hi")), agent, "answer of " + agent);
  }

  @Test
  void aReadOnlyKeyMayListModelsButNotRunThem() {
    String agent = agentOf(http, "observed", true);
    JsonNode denied = assertOpenAiError(complete(http.as(reader.key()), ask(agent, "hi")), 403, "permission_denied");
    assertEquals("permission_error", denied.get("type").asText());
    assertTrue(denied.get("message").asText().contains("sessions:run"), denied::toString);
    assertEquals(200, http.as(reader.key()).get("/v1/models").status());
  }

  @Test
  void unknownAndForeignModelsAndSessionsAreRefused() {
    JsonNode unknown = assertOpenAiError(complete(http, ask("no-such-agent-" + uniqueName("x"), "hi")), 404,
        "model_not_found");
    assertEquals("model", unknown.get("param").asText());
    assertEquals("invalid_request_error", unknown.get("type").asText());

    String retired = agentOf(http, "retired", true);
    assertEquals(200, http.send("DELETE", "/api/v1/agents/" + retired, Map.of(), null).status());
    assertOpenAiError(complete(http, ask(retired, "hi")), 404, "model_not_found");

    // Alice's private agent: Bob may not run it.
    String mine = agentOf(http.as(alice.key()), "alices", false);
    JsonNode foreign = assertOpenAiError(complete(http.as(bob.key()), ask(mine, "hi")), 403, "permission_denied");
    assertTrue(foreign.get("message").asText().contains("private"), foreign::toString);

    // Alice's conversation: Bob may not continue it, even through a shared agent he may run.
    String chat = uniqueName("shared-chat");
    ObjectNode def = AgentCalls.scripted("Shared chat " + chat, List.of(), "[{\"text\":\"hello there\"},{\"text\":\"x\"}]");
    def.put("conversational", true).put("shared", true);
    define(http, chat, def);
    HttpClientForTests.Answer started = complete(http.as(alice.key()), ask(chat, "hi"));
    assertCompletion(started, chat, "hello there");
    String id = started.header(OpenAiCalls.SESSION);
    JsonNode hijack = assertOpenAiError(complete(http.as(bob.key()), ask(chat, "mine now"), id), 403, "permission_denied");
    assertTrue(hijack.get("message").asText().contains("another user"), hijack::toString);
    assertEquals(1, AgentCalls.session(http, id).get("turnCount").asInt(), "nothing changed");
  }

  @Test
  void badRequestsAre400sNamingTheParameter() {
    String agent = agentOf(http, "strict", true);
    List<String[]> cases = List.of(
        new String[] {"{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model"},
        new String[] {"{\"model\":7,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model"},
        new String[] {"{\"model\":\"" + agent + "\"}", "messages"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":[]}", "messages"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":\"hi\"}", "messages"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"hello\"}]}", "messages"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":[{\"role\":\"tool\",\"content\":\"42\","
            + "\"tool_call_id\":\"c1\"},{\"role\":\"user\",\"content\":\"hi\"}]}", "messages[0].role"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}",
            "messages[0].role"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
            + "\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}", "messages[0].content"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":[{\"role\":\"user\",\"content\":\"  \"}]}",
            "messages[0].content"},
        new String[] {"{\"model\":\"" + agent + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + "x".repeat(ChatRequest.MAX_INPUT_CHARS + 1) + "\"}]}", "messages"},
        new String[] {"{\"model\":\"" + agent + "\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}]}", "stream"},
        new String[] {"{\"model\":\"" + agent + "\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            "n"});
    List<String> wrong = new ArrayList<>();
    for (String[] c : cases) {
      HttpClientForTests.Answer a = http.send("POST", COMPLETIONS, Map.of("Content-Type", "application/json"), c[0]);
      try {
        JsonNode error = assertOpenAiError(a, 400, null);
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals(c[1], error.get("param").asText());
      } catch (AssertionError e) {
        wrong.add(c[1] + ": " + e.getMessage());
      }
    }
    assertEquals(List.of(), wrong);
    // Nothing started for any of them.
    assertEquals(0, http.get("/api/v1/agents/" + agent + "/sessions").json().get("sessions").size());

    // Problems of the shared edge come in OpenAI's shape too.
    HttpClientForTests.Answer malformed = http.send("POST", COMPLETIONS, Map.of("Content-Type", "application/json"), "{");
    assertTrue(assertOpenAiError(malformed, 400, null).get("message").asText().contains("malformed JSON"));
    assertOpenAiError(http.send("POST", COMPLETIONS, Map.of("Content-Type", "text/plain"), "hi"), 415,
        "unsupported_media_type");
    HttpClientForTests.Answer wrongMethod = http.get(COMPLETIONS);
    assertOpenAiError(wrongMethod, 405, "method_not_allowed");
    assertEquals("POST", wrongMethod.header("Allow"));
    assertOpenAiError(http.get("/v1/embeddings"), 404, "not_found");
  }

  @Test
  void modelsListTheAgentsTheKeyMayRun() {
    String alicesPrivate = agentOf(http.as(alice.key()), "list-alice-private", false);
    String bobsPrivate = agentOf(http.as(bob.key()), "list-bob-private", false);
    String bobsShared = agentOf(http.as(bob.key()), "list-bob-shared", true);
    String retired = agentOf(http.as(alice.key()), "list-alice-retired", false);
    assertEquals(200, http.as(alice.key()).send("DELETE", "/api/v1/agents/" + retired, Map.of(), null).status());

    // The list comes from the agent read table, which trails definitions by about a second.
    List<String> seen = Eventually.await(Eventually.READ_SIDE, "alice's models are listed", () -> {
      List<String> ids = modelIds(http.as(alice.key()));
      return ids.contains(alicesPrivate) && ids.contains(bobsShared) && !ids.contains(retired)
          ? Optional.of(ids) : Optional.empty();
    });
    assertFalse(seen.contains(bobsPrivate), "another user's private agent is not listed: " + seen);
    assertEquals(seen.stream().sorted().toList(), seen, "in name order");
    assertTrue(modelIds(http).contains(bobsPrivate), "an administrator may run every agent");

    JsonNode list = http.as(alice.key()).get("/v1/models").json();
    assertEquals("list", list.get("object").asText());
    JsonNode one = null;
    for (JsonNode m : list.get("data")) {
      if (m.get("id").asText().equals(alicesPrivate)) {
        one = m;
      }
    }
    assertEquals("model", one.get("object").asText());
    assertEquals(alice.userId(), one.get("owned_by").asText());
    assertTrue(one.get("created").asLong() > 1_700_000_000L, one::toString);

    HttpClientForTests.Answer got = http.as(alice.key()).get("/v1/models/" + alicesPrivate);
    assertEquals(200, got.status(), got::body);
    assertEquals(alicesPrivate, got.json().get("id").asText());
    assertOpenAiError(http.as(alice.key()).get("/v1/models/" + bobsPrivate), 403, "permission_denied");
    assertOpenAiError(http.as(alice.key()).get("/v1/models/" + retired), 404, "model_not_found");
    assertOpenAiError(http.as(alice.key()).get("/v1/models/nothing-" + uniqueName("x")), 404, "model_not_found");
  }

  private static List<String> modelIds(HttpClientForTests as) {
    HttpClientForTests.Answer a = as.get("/v1/models");
    assertEquals(200, a.status(), a::body);
    List<String> ids = new ArrayList<>();
    a.json().get("data").forEach(m -> ids.add(m.get("id").asText()));
    return ids;
  }

  @Test
  void completionsAreAuditedAsEveryChange() {
    String agent = agentOf(http, "audited", true);
    assertEquals(200, complete(http.as(alice.key()), ask(agent, "hi")).status());
    assertEquals(403, complete(http.as(reader.key()), ask(agent, "hi")).status());
    JsonNode entries = Eventually.await(Eventually.READ_SIDE, "the completions are audited", () -> {
      JsonNode e = http.get("/api/v1/security/audit?action=POST%20/v1/chat/completions&limit=100").json().get("entries");
      boolean ok = false;
      boolean denied = false;
      for (JsonNode entry : e) {
        ok |= alice.userId().equals(entry.path("userId").asText()) && "OK".equals(entry.path("outcome").asText());
        denied |= reader.userId().equals(entry.path("userId").asText()) && "DENIED".equals(entry.path("outcome").asText());
      }
      return ok && denied ? Optional.of(e) : Optional.empty();
    });
    assertTrue(entries.size() >= 2, entries::toString);
  }
}
