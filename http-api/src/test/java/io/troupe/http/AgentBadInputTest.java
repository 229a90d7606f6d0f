package io.troupe.http;

import static io.troupe.http.AgentCalls.agent;
import static io.troupe.http.AgentCalls.agentPath;
import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.put;
import static io.troupe.http.AgentCalls.startRaw;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertInvalid;
import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Rejected agent definitions and session starts: a 4xx problem naming every bad field, and
 * nothing changed — a defined agent keeps its version and definition, an undefined one stays
 * undefined, and no session is started.
 */
@RunningNodeTest
class AgentBadInputTest {

  private static final String SCRIPT = "\"script\":[{\"text\":\"ok\"}]";

  @FromNode private static HttpClientForTests http;

  /** A rejected definition and the fields its 400 must name (exactly). */
  record BadDefinition(String name, String body, List<String> fields) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static BadDefinition bad(String name, String body, String... fields) {
    return new BadDefinition(name, body, List.of(fields));
  }

  static Stream<BadDefinition> badDefinitions() {
    return Stream.of(
        bad("role missing", "{\"provider\":\"scripted\"," + SCRIPT + "}", "role"),
        bad("role blank", "{\"role\":\"  \",\"provider\":\"scripted\"," + SCRIPT + "}", "role"),
        bad("role a number", "{\"role\":7,\"provider\":\"scripted\"," + SCRIPT + "}", "role"),
        bad("role too long", "{\"role\":\"" + "r".repeat(501) + "\",\"provider\":\"scripted\"," + SCRIPT + "}", "role"),
        bad("systemPrompt a number", "{\"role\":\"R\",\"systemPrompt\":1,\"provider\":\"scripted\"," + SCRIPT + "}",
            "systemPrompt"),
        bad("provider missing", "{\"role\":\"R\",\"model\":\"m\"}", "provider"),
        bad("provider unknown", "{\"role\":\"R\",\"provider\":\"nope\",\"model\":\"m\"}", "provider"),
        bad("model missing with openai", "{\"role\":\"R\",\"provider\":\"openai\"}", "model"),
        bad("model blank with openai", "{\"role\":\"R\",\"provider\":\"openai\",\"model\":\"\"}", "model"),
        bad("tool unknown", "{\"role\":\"R\",\"provider\":\"scripted\",\"tools\":[\"read_topic\",\"nope\"]," + SCRIPT + "}",
            "tools[1]"),
        bad("tool not a string", "{\"role\":\"R\",\"provider\":\"scripted\",\"tools\":[1]," + SCRIPT + "}", "tools[0]"),
        bad("tools not an array", "{\"role\":\"R\",\"provider\":\"scripted\",\"tools\":\"read_topic\"," + SCRIPT + "}",
            "tools"),
        bad("temperature -0.1", "{\"role\":\"R\",\"provider\":\"scripted\",\"temperature\":-0.1," + SCRIPT + "}",
            "temperature"),
        bad("temperature 2.1", "{\"role\":\"R\",\"provider\":\"scripted\",\"temperature\":2.1," + SCRIPT + "}",
            "temperature"),
        bad("temperature a string", "{\"role\":\"R\",\"provider\":\"scripted\",\"temperature\":\"0\"," + SCRIPT + "}",
            "temperature"),
        bad("maxIterations 0", "{\"role\":\"R\",\"provider\":\"scripted\",\"maxIterations\":0," + SCRIPT + "}",
            "maxIterations"),
        bad("maxIterations 101", "{\"role\":\"R\",\"provider\":\"scripted\",\"maxIterations\":101," + SCRIPT + "}",
            "maxIterations"),
        bad("maxIterations 1.5", "{\"role\":\"R\",\"provider\":\"scripted\",\"maxIterations\":1.5," + SCRIPT + "}",
            "maxIterations"),
        bad("toolTimeoutSeconds 0", "{\"role\":\"R\",\"provider\":\"scripted\",\"toolTimeoutSeconds\":0," + SCRIPT + "}",
            "toolTimeoutSeconds"),
        bad("script missing with scripted", "{\"role\":\"R\",\"provider\":\"scripted\"}", "script"),
        bad("script with openai", "{\"role\":\"R\",\"provider\":\"openai\",\"model\":\"m\"," + SCRIPT + "}", "script"),
        bad("script empty", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":[]}", "script"),
        bad("script an object", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":{\"text\":\"x\"}}", "script"),
        bad("reply with neither text nor toolCalls",
            "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":[{\"text\":\"a\"},{\"toolCalls\":[]}]}", "script[1]"),
        bad("reply not an object", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":[\"hello\"]}", "script[0]"),
        bad("reply text a number", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":"
            + "[{\"text\":5,\"toolCalls\":[{\"name\":\"read_topic\"}]}]}", "script[0].text"),
        bad("toolCalls not an array", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":"
            + "[{\"text\":\"t\",\"toolCalls\":{\"name\":\"read_topic\"}}]}", "script[0].toolCalls"),
        bad("tool call without name", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":"
            + "[{\"text\":\"t\",\"toolCalls\":[{\"arguments\":{}}]}]}", "script[0].toolCalls[0].name"),
        bad("tool call arguments not an object", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":"
            + "[{\"text\":\"t\",\"toolCalls\":[{\"name\":\"read_topic\",\"arguments\":\"{}\"}]}]}",
            "script[0].toolCalls[0].arguments"),
        bad("tool call argumentsJson not an object's JSON", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":"
            + "[{\"text\":\"t\",\"toolCalls\":[{\"name\":\"read_topic\",\"argumentsJson\":\"[1]\"}]}]}",
            "script[0].toolCalls[0].argumentsJson"),
        bad("tool call argumentsJson not JSON", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":"
            + "[{\"text\":\"t\",\"toolCalls\":[{\"name\":\"read_topic\",\"argumentsJson\":\"{topic\"}]}]}",
            "script[0].toolCalls[0].argumentsJson"),
        bad("tool call with arguments and argumentsJson", "{\"role\":\"R\",\"provider\":\"scripted\",\"script\":"
            + "[{\"text\":\"t\",\"toolCalls\":[{\"name\":\"read_topic\",\"arguments\":{},\"argumentsJson\":\"{}\"}]}]}",
            "script[0].toolCalls[0].argumentsJson"),
        bad("subscription not a topic name", "{\"role\":\"R\",\"provider\":\"scripted\",\"subscriptions\":"
            + "[\"alerts\",\"bad name\"]," + SCRIPT + "}", "subscriptions[1]"),
        bad("every field wrong", "{\"role\":\"\",\"provider\":\"nope\",\"temperature\":3,\"maxIterations\":0,"
            + "\"toolTimeoutSeconds\":-1,\"tools\":[\"nope\"],\"subscriptions\":[\"a b\"]}",
            "role", "provider", "model", "temperature", "maxIterations", "toolTimeoutSeconds", "tools[0]",
            "subscriptions[0]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badDefinitions")
  void rejectedRedefinitionLeavesTheAgentAsItWas(BadDefinition bad) {
    String name = uniqueName("bad-def");
    JsonNode before = define(http, name, answering("unchanged"));
    assertInvalid(put(http, name, bad.body()), bad.fields().toArray(String[]::new));
    assertEquals(before, agent(http, name), "version and definition unchanged");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badDefinitions")
  void rejectedFirstDefinitionDefinesNothing(BadDefinition bad) {
    String name = uniqueName("bad-new");
    assertInvalid(put(http, name, bad.body()), bad.fields().toArray(String[]::new));
    assertProblem(http.get(agentPath(name)), 404);
  }

  @Test
  void unknownProviderAndToolMessagesListTheKnownOnes() {
    String name = uniqueName("bad-known");
    JsonNode provider = assertInvalid(put(http, name, "{\"role\":\"R\",\"provider\":\"nope\",\"model\":\"m\"}"), "provider");
    String message = provider.get("errors").get("provider").asText();
    assertTrue(message.contains("nope") && message.contains("scripted") && message.contains("openai"), message);
    JsonNode tool = assertInvalid(put(http, name,
        "{\"role\":\"R\",\"provider\":\"scripted\",\"tools\":[\"teleport\"]," + SCRIPT + "}"), "tools[0]");
    String toolMessage = tool.get("errors").get("tools[0]").asText();
    assertTrue(toolMessage.contains("teleport") && toolMessage.contains("read_topic")
        && toolMessage.contains("publish_to_topic") && toolMessage.contains("call_agent"), toolMessage);
  }

  @Test
  void boundaryValuesAreAccepted() {
    String name = uniqueName("edges");
    JsonNode agent = define(http, name, AgentCalls.parse("{\"role\":\"R\",\"provider\":\"scripted\",\"temperature\":2,"
        + "\"maxIterations\":100,\"toolTimeoutSeconds\":1,\"model\":\"my-script\",\"tools\":[\"read_topic\",\"read_topic\"],"
        + SCRIPT + "}"));
    JsonNode d = agent.get("definition");
    assertEquals(2.0, d.get("temperature").asDouble());
    assertEquals(100, d.get("maxIterations").asInt());
    assertEquals(1, d.get("toolTimeoutSeconds").asInt());
    assertEquals("my-script", d.get("model").asText());
    assertEquals(1, d.get("tools").size(), "a tool named twice is listed once");
    JsonNode openai = define(http, uniqueName("edges-openai"),
        AgentCalls.parse("{\"role\":\"R\",\"provider\":\"openai\",\"model\":\"gpt-x\",\"temperature\":0}"));
    assertEquals("openai", openai.get("definition").get("provider").asText());
  }

  @Test
  void invalidAgentNamesInThePathAre400NamingName() {
    String good = "{\"role\":\"R\",\"provider\":\"scripted\"," + SCRIPT + "}";
    for (String name : List.of("bad%20name", "a~b", "x".repeat(129), "caf%C3%A9")) {
      assertInvalid(put(http, name, good), "name");
      assertInvalid(http.get(agentPath(name)), "name");
      assertInvalid(http.send("DELETE", agentPath(name), Map.of(), null), "name");
      assertInvalid(startRaw(http, name, "{\"input\":\"hi\"}"), "name");
      assertInvalid(http.get(agentPath(name) + "/sessions"), "name");
    }
  }

  @Test
  void badDefinitionBodiesAre4xx() {
    String name = uniqueName("bad-body");
    String good = "{\"role\":\"R\",\"provider\":\"scripted\"," + SCRIPT + "}";
    assertProblem(http.send("PUT", agentPath(name), Map.of("Content-Type", "text/plain"), good), 415);
    assertProblem(http.send("PUT", agentPath(name), Map.of(), good), 415);
    assertProblem(put(http, name, "{\"role\":"), 400);
    assertProblem(put(http, name, "[" + good + "]"), 400);
    assertProblem(put(http, name, ""), 400);
    assertProblem(http.get(agentPath(name)), 404);
  }

  @Test
  void badSessionStartsAre4xxAndStartNothing() {
    String name = uniqueName("bad-start");
    define(http, name, answering("never asked"));
    assertInvalid(startRaw(http, name, "{}"), "input");
    assertInvalid(startRaw(http, name, "{\"input\":null}"), "input");
    assertInvalid(startRaw(http, name, "{\"input\":\"   \"}"), "input");
    assertInvalid(startRaw(http, name, "{\"input\":42}"), "input");
    assertInvalid(startRaw(http, name, "{\"input\":\"" + "i".repeat(100_001) + "\"}"), "input");
    assertInvalid(startRaw(http, name, "{\"input\":\"hi\",\"userId\":7}"), "userId");
    assertInvalid(startRaw(http, name, "{\"input\":\"hi\",\"userId\":{\"id\":1}}"), "userId");
    assertInvalid(startRaw(http, name, "{\"userId\":true}"), "input", "userId");
    assertProblem(http.send("POST", agentPath(name) + "/sessions", Map.of("Content-Type", "text/plain"),
        "{\"input\":\"hi\"}"), 415);
    assertProblem(startRaw(http, name, "{\"input\":"), 400);
    assertProblem(startRaw(http, name, "\"hi\""), 400);
    assertEquals(0, http.get(agentPath(name) + "/sessions").json().get("sessions").size(), "no session was started");
  }

  @Test
  void wrongMethodsAre405WithAllow() {
    String name = uniqueName("bad-method");
    String id = name + "~0000000000001-abcdef12";
    String body = "{\"input\":\"hi\"}";
    Map<String, String> json = Map.of("Content-Type", "application/json");
    assertAllows(http.send("POST", agentPath(name), json, body), "PUT", "GET", "DELETE");
    assertAllows(http.send("PATCH", agentPath(name), json, body), "PUT", "GET", "DELETE");
    assertAllows(http.send("PUT", agentPath(name) + "/sessions", json, body), "POST", "GET");
    assertAllows(http.send("DELETE", agentPath(name) + "/sessions", Map.of(), null), "POST", "GET");
    assertAllows(http.send("POST", "/api/v1/agents", json, body), "GET");
    assertAllows(http.send("DELETE", "/api/v1/sessions/" + id, Map.of(), null), "GET");
    assertAllows(http.get("/api/v1/sessions/" + id + "/cancel"), "POST");
    assertAllows(http.send("POST", "/api/v1/sessions/" + id + "/events", json, body), "GET");
    assertProblem(http.get(agentPath(name)), 404);
  }

  @Test
  void badListQueriesAre400NamingTheParameter() {
    String name = uniqueName("bad-query");
    define(http, name, answering("x"));
    for (String limit : List.of("0", "-1", "101", "ten", "")) {
      assertInvalid(http.get("/api/v1/agents?limit=" + limit), "limit");
      assertInvalid(http.get(agentPath(name) + "/sessions?limit=" + limit), "limit");
    }
    assertInvalid(http.get("/api/v1/agents?after=bad%20cursor"), "after");
    assertInvalid(http.get("/api/v1/agents?after=a~b&limit=0"), "after", "limit");
    assertEquals(200, http.get("/api/v1/agents?limit=100").status());
    assertEquals(200, http.get(agentPath(name) + "/sessions?limit=1").status());
  }

  private static void assertAllows(HttpClientForTests.Answer answer, String... methods) {
    assertProblem(answer, 405);
    String allow = answer.header("Allow");
    assertTrue(allow != null, "405 without Allow");
    Set<String> allowed = new HashSet<>();
    for (String m : allow.split(",")) {
      allowed.add(m.trim());
    }
    assertEquals(Set.of(methods), allowed, () -> "Allow: " + allow);
  }
}
