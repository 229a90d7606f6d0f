package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, point 11: the OpenAI-compatible chat edge driven by an independent client, the real
 * {@code openai} library from npm (version pinned in {@code src/test/node/package-lock.json},
 * installed by {@code .ci/run} with {@code npm ci}). A Node script ({@code openai-client-check.mjs})
 * makes a completion, a streamed completion, a two-turn conversation through
 * {@code X-Troupe-Session}, lists the models and asks for an unknown one, against a node on
 * loopback, with a USER's key; this test defines the agent, runs the script (bounded) and checks
 * what it printed. Without Node.js or the installed library it fails, saying how to install them.
 */
@RunningNodeTest
class OpenAiClientIT {

  private static final Path SCRIPT_DIR = Path.of("src/test/node");
  private static final long SCRIPT_TIMEOUT_SECONDS = 120;
  private static final String FIRST = "Hello from a Troupe agent.";
  private static final String SECOND = "This is the second turn.";

  @FromNode private static HttpClientForTests http;

  @Test
  void theOpenAiLibraryCompletesStreamsConversesAndListsModels() throws Exception {
    Path library = SCRIPT_DIR.resolve("node_modules/openai/package.json");
    if (!Files.isRegularFile(library)) {
      fail("the openai npm package is not installed in " + SCRIPT_DIR.toAbsolutePath() + ": run .ci/run, or"
          + " 'npm ci --no-audit --no-fund' in that directory (it installs the version package-lock.json pins)");
    }
    String agent = AgentCalls.uniqueName("openai-client");
    ObjectNode definition = AgentCalls.scripted("Troupe agent for the openai client", List.of(),
        "[{\"text\":\"" + FIRST + "\"},{\"text\":\"" + SECOND + "\"}]");
    definition.put("conversational", true).put("shared", true);
    AgentCalls.define(http, agent, definition);
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(http, "OpenAI client", "USER");
    // The model list comes from the agent read table, which trails definitions by about a second.
    Eventually.await(Eventually.READ_SIDE, "the agent is listed as a model", () -> {
      JsonNode data = http.as(user.key()).get("/v1/models").json().get("data");
      for (JsonNode m : data) {
        if (m.get("id").asText().equals(agent)) {
          return java.util.Optional.of(m);
        }
      }
      return java.util.Optional.empty();
    });

    JsonNode out = run(agent, user.key());

    JsonNode whole = out.get("whole");
    assertEquals("chat.completion", whole.get("object").asText());
    assertEquals(agent, whole.get("model").asText());
    assertEquals("assistant", whole.get("role").asText());
    assertEquals(FIRST, whole.get("content").asText());
    assertEquals("stop", whole.get("finishReason").asText());
    assertTrue(whole.get("usage").get("total_tokens").asLong() > 0, whole::toString);
    assertTrue(whole.get("session").asText().startsWith(agent + "~"), whole::toString);

    JsonNode streamed = out.get("streamed");
    assertEquals(FIRST, streamed.get("text").asText(), streamed::toString);
    assertEquals("stop", streamed.get("finishReason").asText());
    assertTrue(streamed.get("usage").get("completion_tokens").asLong() > 0, streamed::toString);
    assertTrue(streamed.get("chunks").asInt() >= 3, "role, text, finish and usage chunks: " + streamed);
    assertNotEquals(whole.get("session").asText(), streamed.get("session").asText(), "each started its own session");

    JsonNode conversation = out.get("conversation");
    assertEquals(FIRST, conversation.get("first").asText());
    assertEquals(SECOND, conversation.get("second").asText(), conversation::toString);
    String session = conversation.get("firstSession").asText();
    assertEquals(session, conversation.get("secondSession").asText());
    assertEquals("chatcmpl-" + session + "-2", conversation.get("secondId").asText());
    JsonNode view = AgentCalls.session(http, session);
    assertEquals(2, view.get("turnCount").asInt());
    assertEquals("And now?", view.get("turns").get(1).get("input").asText());
    assertEquals(user.userId(), view.get("owner").asText());

    List<String> models = new ArrayList<>();
    out.get("models").forEach(m -> models.add(m.get("id").asText()));
    assertTrue(models.contains(agent), models::toString);

    JsonNode unknown = out.get("unknownModel");
    assertTrue(unknown.get("raised").asBoolean(), unknown::toString);
    assertTrue(unknown.get("notFoundError").asBoolean(), unknown::toString);
    assertEquals(404, unknown.get("status").asInt());
    assertEquals("model_not_found", unknown.get("code").asText());
    assertEquals("model", unknown.get("param").asText());
  }

  /** Runs the script against this test's node; answers the JSON it printed. */
  private static JsonNode run(String agent, String key) throws IOException, InterruptedException {
    Path output = Files.createTempFile("openai-client", ".out");
    Path errors = Files.createTempFile("openai-client", ".err");
    try {
      ProcessBuilder builder = new ProcessBuilder("node", "openai-client-check.mjs")
          .directory(SCRIPT_DIR.toFile())
          .redirectOutput(output.toFile())
          .redirectError(errors.toFile());
      builder.environment().put("TROUPE_BASE_URL", http.base);
      builder.environment().put("TROUPE_API_KEY", key);
      builder.environment().put("TROUPE_AGENT", agent);
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new AssertionError("Node.js could not be started ('node' on PATH): install it (Debian: apt-get"
            + " install nodejs npm; .ci/run does) - " + e.getMessage(), e);
      }
      if (!process.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("the openai client script did not end within " + SCRIPT_TIMEOUT_SECONDS + " s; stderr: "
            + Files.readString(errors, StandardCharsets.UTF_8));
      }
      String printed = Files.readString(output, StandardCharsets.UTF_8).strip();
      assertEquals(0, process.exitValue(), () -> "the openai client script failed; stdout: " + printed + "; stderr: "
          + read(errors));
      return AgentCalls.parse(printed);
    } finally {
      Files.deleteIfExists(output);
      Files.deleteIfExists(errors);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }
}
