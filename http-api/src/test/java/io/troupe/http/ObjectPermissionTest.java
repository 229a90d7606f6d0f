package io.troupe.http;

import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.toolThenAnswer;
import static io.troupe.http.AgentCalls.uniqueName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every route that addresses an object × who calls it, against a real node: the object's owner (a
 * USER), another USER, a READONLY observer and an ADMIN each get the answer README documents (a
 * refusal is a 403 problem+json saying why, and changes nothing). The whole table is {@link
 * ObjectRoutes} (agents, sessions, subscriber positions, allocations, a user's costs, users, keys
 * and grants); the tests below it look closer at agents and sessions. The rules are {@link
 * io.troupe.runtime.agent.Ownership}'s and each service's.
 */
@RunningNodeTest
class ObjectPermissionTest {

  enum Who { OWNER, OTHER_USER, READONLY, ADMIN }

  private static final String PROMPT = "the owner's secret prompt";

  private static HeldModel model;
  @FromNode private static RunningNode node;
  private static final Map<Who, HttpClientForTests> AS = new EnumMap<>(Who.class);
  private static final Map<Who, String> IDS = new EnumMap<>(Who.class);

  /** A model that answers only when released, so a session stays RUNNING while the test needs it. */
  static Map<String, Object> nodeConfig() throws IOException {
    model = new HeldModel();
    return Map.of("troupe.llm.openai.base-url", model.baseUrl(), "troupe.llm.max-attempts", 1);
  }

  @BeforeAll
  static void users() {
    for (Who who : List.of(Who.OWNER, Who.OTHER_USER, Who.READONLY)) {
      SecurityCalls.UserKey key = SecurityCalls.userWithKey(node.http, who.name().toLowerCase(),
          who == Who.READONLY ? "READONLY" : "USER");
      AS.put(who, node.http.as(key.key()));
      IDS.put(who, key.userId());
    }
    AS.put(Who.ADMIN, node.http);
    IDS.put(Who.ADMIN, "admin");
  }

  @AfterAll
  static void stopModel() {
    if (model != null) {
      model.close();
    }
  }

  private static ObjectNode secretAgent(String answer) {
    return answering(answer).put("systemPrompt", PROMPT);
  }

  /** The owner's private agent, and the owner's completed session of it. */
  private static String privateAgent() {
    String name = uniqueName("private");
    define(AS.get(Who.OWNER), name, secretAgent("private answer of " + name));
    return name;
  }

  private static String completedSession(Who who, String agent) {
    HttpClientForTests.Answer started = AS.get(who).postJson("/api/v1/agents/" + agent + "/sessions",
        "{\"input\":\"go " + uniqueName("input") + "\"}");
    assertEquals(202, started.status(), started::body);
    String id = started.json().get("sessionId").asText();
    awaitStatus(AS.get(who), id, "COMPLETED");
    return id;
  }

  /** A 403 says why: problem+json's detail, or on the OpenAI-compatible door (/v1) OpenAI's error.message. */
  private static void expect(List<String> wrong, Who who, String action, HttpClientForTests.Answer a, int status) {
    boolean openAi = action.contains(" /v1/");
    if (a.status() != status) {
      wrong.add(who + " " + action + " -> " + a.status() + " (expected " + status + "): " + a.body());
    } else if (status == 403 && !openAi && !(a.contentType().startsWith("application/problem+json")
        && a.json().hasNonNull("detail") && !a.json().get("detail").asText().isBlank())) {
      wrong.add(who + " " + action + " -> 403 without a problem+json detail: " + a.body());
    } else if (status == 403 && openAi && !(a.contentType().startsWith("application/json")
        && !a.json().path("error").path("message").asText().isBlank())) {
      wrong.add(who + " " + action + " -> 403 without OpenAI's error message: " + a.body());
    }
  }

  @Test
  void everyObjectRouteGivesEachCallerItsDocumentedAnswer() {
    ObjectRoutes.Callers callers = new ObjectRoutes.Callers(AS, IDS);
    List<String> wrong = new ArrayList<>();
    for (ObjectRoutes.Row row : ObjectRoutes.rows()) {
      ObjectRoutes.Case shared = row.changes() ? null : row.fresh().apply(callers);
      for (Who who : Who.values()) {
        ObjectRoutes.Case made = shared != null ? shared : row.fresh().apply(callers);
        int expected = row.answers().get(who);
        HttpClientForTests.Answer answer = made.call(AS.get(who));
        expect(wrong, who, row.route(), answer, expected);
        try {
          if (expected == 403) {
            made.unchanged();
          } else if (answer.status() == expected) {
            made.cleanUp();
          }
        } catch (AssertionError e) {
          wrong.add(who + " " + row.route() + ": " + e.getMessage());
        }
      }
    }
    assertEquals(List.of(), wrong);
  }

  /**
   * A route added to {@link RouteTable} with an object in its path fails here until its row is in
   * the table above. Topics themselves have no owner (README: a broker is shared by design).
   */
  @Test
  void theTableHoldsEveryRouteThatAddressesAnObject() {
    List<String> inTable = ObjectRoutes.rows().stream().map(r -> r.route().split("\\?", 2)[0]).toList();
    List<String> missing = new ArrayList<>();
    for (RouteRule rule : RouteTable.RULES) {
      String route = rule.method() + " " + rule.template();
      boolean addressesAnObject = rule.template().contains("{") && !rule.template().endsWith("{topic}/messages")
          && !rule.template().endsWith("{topic}/stream");
      if (addressesAnObject && !inTable.contains(route)) {
        missing.add(route);
      }
    }
    assertEquals(List.of(), missing);
  }

  @Test
  void agentRoutesGiveOwnerOtherUserReadonlyAndAdminTheirDocumentedAnswers() {
    String agent = privateAgent();
    String path = "/api/v1/agents/" + agent;
    String redefinition = secretAgent("hijacked").toString();
    List<String> wrong = new ArrayList<>();
    Map<Who, Integer> read = Map.of(Who.OWNER, 200, Who.OTHER_USER, 200, Who.READONLY, 200, Who.ADMIN, 200);
    Map<Who, Integer> change = Map.of(Who.OWNER, 200, Who.OTHER_USER, 403, Who.READONLY, 403, Who.ADMIN, 200);
    Map<Who, Integer> run = Map.of(Who.OWNER, 202, Who.OTHER_USER, 403, Who.READONLY, 403, Who.ADMIN, 202);

    // Refusals first, on the one agent: each must leave it as it was.
    for (Who who : List.of(Who.OTHER_USER, Who.READONLY)) {
      HttpClientForTests.Answer put = AgentCalls.put(AS.get(who), agent, redefinition);
      expect(wrong, who, "PUT " + path, put, change.get(who));
      expect(wrong, who, "DELETE " + path, AS.get(who).send("DELETE", path, Map.of(), null), change.get(who));
      expect(wrong, who, "POST " + path + "/sessions",
          AS.get(who).postJson(path + "/sessions", "{\"input\":\"mine now\"}"), run.get(who));
    }
    JsonNode unchanged = AgentCalls.agent(AS.get(Who.OWNER), agent);
    assertEquals(1, unchanged.get("version").asInt(), unchanged::toString);
    assertEquals("ACTIVE", unchanged.get("status").asText());
    assertEquals(PROMPT, unchanged.get("definition").get("systemPrompt").asText());
    assertEquals(IDS.get(Who.OWNER), unchanged.path("owner").asText());
    assertEquals(false, unchanged.path("shared").asBoolean(true), "private unless defined shared");

    // Reads: everyone sees the agent; only the owner and an admin see its prompt and script.
    for (Who who : Who.values()) {
      HttpClientForTests.Answer got = AS.get(who).get(path);
      expect(wrong, who, "GET " + path, got, read.get(who));
      boolean whole = who == Who.OWNER || who == Who.ADMIN;
      JsonNode definition = got.json().get("definition");
      if (whole != PROMPT.equals(definition.path("systemPrompt").asText(null))
          || whole == definition.get("script").isEmpty()) {
        wrong.add(who + " GET " + path + " shows the prompt and script: " + !whole + "? " + got.body());
      }
    }

    // Successes, each on its own agent of the owner.
    for (Who who : List.of(Who.OWNER, Who.ADMIN)) {
      String own = privateAgent();
      String ownPath = "/api/v1/agents/" + own;
      HttpClientForTests.Answer put = AgentCalls.put(AS.get(who), own, secretAgent("redefined by " + who).toString());
      expect(wrong, who, "PUT " + ownPath, put, change.get(who));
      assertEquals(IDS.get(Who.OWNER), put.json().get("owner").asText(), "a redefinition keeps the owner");
      HttpClientForTests.Answer started = AS.get(who).postJson(ownPath + "/sessions", "{\"input\":\"run\"}");
      expect(wrong, who, "POST " + ownPath + "/sessions", started, run.get(who));
      assertEquals(IDS.get(who), awaitStatus(AS.get(who), started.json().get("sessionId").asText(), "COMPLETED")
          .get("owner").asText(), "a session belongs to whoever starts it");
      HttpClientForTests.Answer retired = AS.get(who).send("DELETE", ownPath, Map.of(), null);
      expect(wrong, who, "DELETE " + ownPath, retired, change.get(who));
      assertEquals("RETIRED", retired.json().get("status").asText());
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void aSharedAgentRunsForEveryUserAndShowsItsPromptButStaysItsOwners() {
    String agent = uniqueName("shared");
    JsonNode defined = define(AS.get(Who.OWNER), agent, secretAgent("shared answer").put("shared", true));
    List<String> wrong = new ArrayList<>();
    for (Who who : Who.values()) {
      HttpClientForTests.Answer got = AS.get(who).get("/api/v1/agents/" + agent);
      expect(wrong, who, "GET shared agent", got, 200);
      assertEquals(PROMPT, got.json().get("definition").get("systemPrompt").asText(), who::name);
    }
    String theirs = completedSession(Who.OTHER_USER, agent);
    assertEquals(IDS.get(Who.OTHER_USER), AgentCalls.session(AS.get(Who.OTHER_USER), theirs).get("owner").asText());
    // The agent's owner does not own sessions others start of it.
    expect(wrong, Who.OWNER, "GET another's session of my shared agent",
        AS.get(Who.OWNER).get("/api/v1/sessions/" + theirs), 403);
    expect(wrong, Who.OTHER_USER, "PUT shared agent", AgentCalls.put(AS.get(Who.OTHER_USER), agent,
        secretAgent("hijacked").put("shared", true).toString()), 403);
    expect(wrong, Who.OTHER_USER, "DELETE shared agent",
        AS.get(Who.OTHER_USER).send("DELETE", "/api/v1/agents/" + agent, Map.of(), null), 403);
    expect(wrong, Who.READONLY, "POST shared agent's sessions",
        AS.get(Who.READONLY).postJson("/api/v1/agents/" + agent + "/sessions", "{\"input\":\"x\"}"), 403);
    assertEquals(1, AgentCalls.agent(AS.get(Who.OWNER), agent).get("version").asInt());
    assertEquals(List.of(), wrong);
    assertTrue(defined.path("shared").asBoolean(), defined::toString);
  }

  /** The reproduction: a USER rewrote the built-in agent every user runs. */
  @Test
  void noUserRedefinesOrRetiresTheBuiltInSpectrumManager() {
    String path = "/api/v1/agents/spectrum-manager";
    JsonNode builtIn = Eventually.await(java.time.Duration.ofSeconds(30), "the built-in agent is defined", () -> {
      HttpClientForTests.Answer a = node.http.get(path);
      return a.status() == 200 ? Optional.of(a.json()) : Optional.empty();
    });
    HttpClientForTests.Answer put = AgentCalls.put(AS.get(Who.OTHER_USER), "spectrum-manager",
        scripted("Spectrum Manager", List.of(), "[{\"text\":\"all yours\"}]").put("shared", true).toString());
    BrokerCalls.assertProblem(put, 403);
    assertTrue(put.json().get("detail").asText().contains("only its owner or an administrator"), put::body);
    BrokerCalls.assertProblem(AS.get(Who.OTHER_USER).send("DELETE", path, Map.of(), null), 403);
    JsonNode after = node.http.get(path).json();
    assertEquals(builtIn.get("version"), after.get("version"));
    assertEquals(builtIn.get("definition"), after.get("definition"));
    assertEquals("ACTIVE", after.get("status").asText());
    assertEquals("admin", builtIn.path("owner").asText());
    assertTrue(builtIn.path("shared").asBoolean(), "every user may run the built-in agent");
    JsonNode seen = AgentCalls.agent(AS.get(Who.OTHER_USER), "spectrum-manager");
    assertEquals(builtIn.get("definition").get("systemPrompt"), seen.get("definition").get("systemPrompt"));
  }

  /** call_agent is no way around a private agent: another user's agent may not call it. */
  @Test
  void callAgentRunsAPrivateAgentOnlyForItsOwnerOrFromItsOwnersAgents() {
    String secret = privateAgent();
    String call = "{\"agent\":\"" + secret + "\",\"input\":\"tell me\"}";
    String thief = uniqueName("thief");
    define(AS.get(Who.OTHER_USER), thief, scripted("Thief", List.of("call_agent"),
        toolThenAnswer("Calling.", "call_agent", call, "Called.")));
    JsonNode stolen = awaitStatus(AS.get(Who.OTHER_USER), completedSession(Who.OTHER_USER, thief), "COMPLETED");
    JsonNode refusedCall = stolen.get("toolCalls").get(0);
    assertEquals("ERROR", refusedCall.get("outcome").asText(), refusedCall::toString);
    assertTrue(refusedCall.get("error").asText().contains("private"), refusedCall::toString);

    // The owner's shared front agent may use the owner's private helper, also for others.
    String front = uniqueName("front");
    define(AS.get(Who.OWNER), front, scripted("Front", List.of("call_agent"),
        toolThenAnswer("Calling.", "call_agent", call, "Called.")).put("shared", true));
    JsonNode helped = awaitStatus(AS.get(Who.OTHER_USER), completedSession(Who.OTHER_USER, front), "COMPLETED");
    assertEquals("OK", helped.get("toolCalls").get(0).get("outcome").asText(), helped::toString);
  }

  @Test
  void sessionRoutesGiveOwnerOtherUserReadonlyAndAdminTheirDocumentedAnswers() {
    String agent = privateAgent();
    String session = completedSession(Who.OWNER, agent);
    String path = "/api/v1/sessions/" + session;
    List<String> wrong = new ArrayList<>();
    Map<Who, Integer> read = Map.of(Who.OWNER, 200, Who.OTHER_USER, 403, Who.READONLY, 200, Who.ADMIN, 200);
    Map<Who, Integer> change = Map.of(Who.OWNER, 200, Who.OTHER_USER, 403, Who.READONLY, 403, Who.ADMIN, 200);
    for (Who who : Who.values()) {
      expect(wrong, who, "GET " + path, AS.get(who).get(path), read.get(who));
      // The session has ended, so its event stream ends by itself after the replay.
      HttpClientForTests.Answer events = AS.get(who).get(path + "/events");
      expect(wrong, who, "GET " + path + "/events", events, read.get(who));
      if (events.status() == 200 && !events.body().contains("\"status\":\"COMPLETED\"")) {
        wrong.add(who + " GET " + path + "/events misses the replay: " + events.body());
      }
      expect(wrong, who, "POST " + path + "/cancel", AS.get(who).postJson(path + "/cancel", ""), change.get(who));
    }
    assertEquals(List.of(), wrong);
  }

  /** A refused cancel changes nothing: the session runs on, and its owner can still cancel it. */
  @Test
  void onlyTheOwnerOrAnAdminCancelsARunningSession() throws Exception {
    String agent = uniqueName("held");
    define(AS.get(Who.OWNER), agent, Json.MAPPER.createObjectNode().put("role", "Slow").put("provider", "openai")
        .put("model", "held-model"));
    for (Who canceller : List.of(Who.OWNER, Who.ADMIN)) {
      HttpClientForTests.Answer started = AS.get(Who.OWNER).postJson("/api/v1/agents/" + agent + "/sessions",
          "{\"input\":\"hold " + uniqueName("on") + "\"}");
      String path = "/api/v1/sessions/" + started.json().get("sessionId").asText();
      model.awaitRequest();
      for (Who refused : List.of(Who.OTHER_USER, Who.READONLY)) {
        BrokerCalls.assertProblem(AS.get(refused).postJson(path + "/cancel", ""), 403);
      }
      BrokerCalls.assertProblem(AS.get(Who.OTHER_USER).get(path + "/events"), 403);
      assertEquals("RUNNING", AS.get(Who.OWNER).get(path).json().get("status").asText());
      HttpClientForTests.Answer cancelled = AS.get(canceller).postJson(path + "/cancel", "");
      assertEquals(200, cancelled.status(), cancelled::body);
      assertEquals("CANCELLED", cancelled.json().get("status").asText());
      model.releaseOne(); // the held reply comes back late; the session ignores it
    }
  }

  @Test
  void sessionListsHoldOnlyWhatTheCallerMayRead() {
    String agent = uniqueName("listed");
    define(AS.get(Who.OWNER), agent, answering("listed answer").put("shared", true));
    String owners = completedSession(Who.OWNER, agent);
    String others = completedSession(Who.OTHER_USER, agent);
    List<String> both = List.of(others, owners); // newest first
    Map<Who, List<String>> visible = Map.of(Who.OWNER, List.of(owners), Who.OTHER_USER, List.of(others),
        Who.READONLY, both, Who.ADMIN, both);
    for (Who who : Who.values()) {
      for (String list : List.of("/api/v1/sessions?agent=" + agent, "/api/v1/agents/" + agent + "/sessions")) {
        Eventually.holds(who + " " + list, () -> assertEquals(visible.get(who), ids(AS.get(who).get(list))));
      }
    }
    // A USER may not ask for another user's sessions; READONLY and ADMIN may.
    HttpClientForTests.Answer asked = AS.get(Who.OTHER_USER).get("/api/v1/sessions?user=" + IDS.get(Who.OWNER));
    BrokerCalls.assertProblem(asked, 403);
    assertEquals(List.of(owners), ids(AS.get(Who.READONLY).get("/api/v1/sessions?agent=" + agent + "&user="
        + IDS.get(Who.OWNER))));
    assertEquals(List.of(owners), ids(AS.get(Who.OWNER).get("/api/v1/sessions?agent=" + agent + "&user="
        + IDS.get(Who.OWNER))));
  }

  @Test
  void agentListsShowEveryAgentButAPrivatePromptOnlyToItsOwnerAndAdmins() {
    String agent = privateAgent();
    Predicate<JsonNode> named = a -> a.get("name").asText().equals(agent);
    for (Who who : Who.values()) {
      JsonNode listed = Eventually.await(java.time.Duration.ofSeconds(10), agent + " is listed for " + who, () -> {
        // A page starting just before the agent's name (names sort in byte order).
        String page = "/api/v1/agents?limit=100&after=" + agent.substring(0, agent.length() - 1);
        for (JsonNode a : AS.get(who).get(page).json().get("agents")) {
          if (named.test(a)) {
            return Optional.of(a);
          }
        }
        return Optional.empty();
      });
      boolean whole = who == Who.OWNER || who == Who.ADMIN;
      assertEquals(whole ? PROMPT : null, listed.get("definition").path("systemPrompt").asText(null), who::name);
      assertEquals(whole, !listed.get("definition").get("script").isEmpty(), who::name);
      assertEquals(IDS.get(Who.OWNER), listed.path("owner").asText());
    }
  }

  private static List<String> ids(HttpClientForTests.Answer page) {
    assertEquals(200, page.status(), page::body);
    List<String> ids = new ArrayList<>();
    page.json().get("sessions").forEach(s -> ids.add(s.get("sessionId").asText()));
    return ids;
  }
}
