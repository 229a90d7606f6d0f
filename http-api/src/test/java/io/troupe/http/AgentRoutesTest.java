package io.troupe.http;

import static io.troupe.http.AgentCalls.agent;
import static io.troupe.http.AgentCalls.agentPath;
import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.start;
import static io.troupe.http.AgentCalls.startRaw;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.runtime.FromNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Defining, reading, listing and retiring agents, and listing their sessions, over real HTTP. */
@RunningNodeTest
class AgentRoutesTest {

  @FromNode private static HttpClientForTests http;

  @Test
  void firstDefinitionIsCreatedWithDefaultsAndRedefinitionIsVersionTwo() {
    String name = uniqueName("notifier");
    ObjectNode definition = scripted("Notifier", List.of("publish_to_topic", "read_topic"),
        "[{\"text\":\"Publishing.\",\"toolCalls\":[{\"name\":\"publish_to_topic\",\"arguments\":"
            + "{\"topic\":\"alerts\",\"messageType\":\"alert\",\"content\":{\"level\":\"high\"}}}]},{\"text\":\"Done.\"}]");
    JsonNode created = define(http, name, definition, 201);
    assertEquals(1, created.get("version").asInt());
    assertEquals("ACTIVE", created.get("status").asText());
    JsonNode d = created.get("definition");
    assertEquals("Notifier", d.get("role").asText());
    assertEquals("scripted", d.get("provider").asText());
    assertEquals(8, d.get("maxIterations").asInt(), "default maxIterations");
    assertEquals(30, d.get("toolTimeoutSeconds").asInt(), "default toolTimeoutSeconds");
    assertEquals(0.0, d.get("temperature").asDouble(), "default temperature");
    assertEquals(List.of("publish_to_topic", "read_topic"), strings(d.get("tools")));
    assertEquals(2, d.get("script").size());
    assertEquals("publish_to_topic", d.get("script").get(0).get("toolCalls").get(0).get("name").asText());
    Instant definedAt = Instant.parse(created.get("definedAt").asText());

    assertEquals(created, agent(http, name), "GET answers what PUT did");

    definition.put("temperature", 0.5).put("maxIterations", 3).put("toolTimeoutSeconds", 5)
        .put("systemPrompt", "Be brief.");
    definition.putArray("subscriptions").add("alerts").add("orders.v2");
    JsonNode redefined = define(http, name, definition, 200);
    assertEquals(2, redefined.get("version").asInt());
    JsonNode d2 = redefined.get("definition");
    assertEquals(0.5, d2.get("temperature").asDouble());
    assertEquals(3, d2.get("maxIterations").asInt());
    assertEquals(5, d2.get("toolTimeoutSeconds").asInt());
    assertEquals("Be brief.", d2.get("systemPrompt").asText());
    assertEquals(List.of("alerts", "orders.v2"), strings(d2.get("subscriptions")));
    assertEquals(definedAt, Instant.parse(redefined.get("definedAt").asText()), "definedAt is the first definition's");
    assertFalse(Instant.parse(redefined.get("updatedAt").asText()).isBefore(definedAt));
    assertEquals(redefined, agent(http, name));
  }

  @Test
  void aDefinitionReadBackCanBePutBackUnchanged() {
    String name = uniqueName("round-trip");
    ObjectNode definition = scripted("Reader", List.of("read_topic"), "[{\"text\":\"Reading.\",\"toolCalls\":"
        + "[{\"name\":\"read_topic\",\"arguments\":{\"topic\":\"alerts\",\"limit\":5}}]},{\"text\":\"Read.\"}]");
    definition.put("systemPrompt", "Read carefully.").putArray("subscriptions").add("alerts");
    JsonNode first = define(http, name, definition).get("definition");
    JsonNode again = define(http, name, agent(http, name).get("definition"), 200);
    assertEquals(2, again.get("version").asInt());
    assertEquals(first, again.get("definition"), "GET's definition, PUT back, is the same definition");
    assertEquals("alerts", AgentCalls.parse(again.get("definition").get("script").get(0).get("toolCalls").get(0)
        .get("argumentsJson").asText()).get("topic").asText());
  }

  @Test
  void unknownAgentsAre404() {
    String name = uniqueName("never-defined");
    assertProblem(http.get(agentPath(name)), 404);
    assertProblem(http.send("DELETE", agentPath(name), Map.of(), null), 404);
    assertProblem(startRaw(http, name, "{\"input\":\"hi\"}"), 404);
    assertProblem(http.get(agentPath(name)), 404); // the lookups defined nothing
    assertFalse(allAgentNames(100).contains(name), "lookups do not list an agent");
  }

  @Test
  void retiredAgentStartsNoSessionUntilDefinedAgain() {
    String name = uniqueName("retiree");
    define(http, name, answering("hello"));
    HttpClientForTests.Answer retired = http.send("DELETE", agentPath(name), Map.of(), null);
    assertEquals(200, retired.status(), retired::body);
    assertEquals("RETIRED", retired.json().get("status").asText());
    assertEquals(1, retired.json().get("version").asInt(), "retiring keeps the version");
    assertEquals("RETIRED", agent(http, name).get("status").asText());
    assertEquals(200, http.send("DELETE", agentPath(name), Map.of(), null).status(), "retiring twice is harmless");

    JsonNode conflict = assertProblem(startRaw(http, name, "{\"input\":\"hi\"}"), 409);
    assertTrue(conflict.get("detail").asText().contains("retired"), conflict::toString);
    assertEquals(0, http.get(agentPath(name) + "/sessions").json().get("sessions").size(), "no session was started");

    JsonNode again = define(http, name, answering("back again"), 200);
    assertEquals("ACTIVE", again.get("status").asText());
    assertEquals(2, again.get("version").asInt());
    String id = start(http, name, "hi");
    assertEquals("back again", awaitStatus(http, id, "COMPLETED").get("output").asText());
  }

  @Test
  void listingPagesThroughAgentsInNameOrder() {
    String prefix = uniqueName("paged");
    List<String> mine = List.of(prefix + "-a", prefix + "-b", prefix + "-c", prefix + "-d", prefix + "-e");
    for (String name : mine) {
      define(http, name, answering(name));
    }
    Eventually.holds("the agents are listed", () -> assertTrue(names(http.get("/api/v1/agents?limit=100&after=" + prefix)
        .json()).containsAll(mine)));
    JsonNode first = http.get("/api/v1/agents?limit=2&after=" + prefix).json();
    assertEquals(List.of(mine.get(0), mine.get(1)), names(first));
    assertEquals(mine.get(1), first.get("next").asText(), "next is the last name of the page");
    JsonNode second = http.get("/api/v1/agents?limit=2&after=" + first.get("next").asText()).json();
    assertEquals(List.of(mine.get(2), mine.get(3)), names(second));
    JsonNode third = http.get("/api/v1/agents?limit=2&after=" + second.get("next").asText()).json();
    assertEquals(mine.get(4), names(third).get(0));
    JsonNode agentE = third.get("agents").get(0);
    assertEquals("ACTIVE", agentE.get("status").asText());
    assertEquals(mine.get(4), agentE.get("definition").get("script").get(0).get("text").asText());

    List<String> all = allAgentNames(2);
    assertTrue(all.containsAll(mine), () -> "every agent is listed: " + all);
    List<String> sorted = new ArrayList<>(all);
    sorted.sort(null);
    assertEquals(sorted, all, "in name order, each once");
    assertEquals(all.size(), all.stream().distinct().count());

    JsonNode last = http.get("/api/v1/agents?limit=100&after=" + all.get(all.size() - 1)).json();
    assertEquals(0, last.get("agents").size(), "nothing after the last");
    assertTrue(last.get("next").isNull(), "the last page names no next");
    assertTrue(http.get("/api/v1/agents").json().get("agents").size() >= 1, "default limit lists agents");
  }

  @Test
  void retiredAgentsAreStillListed() {
    String name = uniqueName("listed-retired");
    define(http, name, answering("x"));
    assertEquals(200, http.send("DELETE", agentPath(name), Map.of(), null).status());
    Eventually.holds("the retired agent is listed", () -> {
      JsonNode found = findListed(name);
      assertEquals("RETIRED", found.get("status").asText());
    });
  }

  @Test
  void aDefinitionChangeAppliesToSessionsStartedAfterIt() {
    String name = uniqueName("changing");
    define(http, name, answering("first script"));
    String before = start(http, name, "same question");
    assertEquals("first script", awaitStatus(http, before, "COMPLETED").get("output").asText());

    define(http, name, answering("second script"), 200);
    String after = start(http, name, "same question");
    assertEquals("second script", awaitStatus(http, after, "COMPLETED").get("output").asText(),
        "a session started after the change runs the new definition");
    assertEquals("first script", AgentCalls.session(http, before).get("output").asText(), "the earlier one is unchanged");
  }

  @Test
  void sessionsOfAnAgentAreListedNewestFirst() {
    String name = uniqueName("lister");
    define(http, name, answering("listed"));
    List<String> started = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String id = start(http, name, "list me " + i);
      awaitStatus(http, id, "COMPLETED");
      started.add(id);
    }
    Eventually.holds("the sessions are listed", () -> {
      HttpClientForTests.Answer answer = http.get(agentPath(name) + "/sessions");
      assertEquals(200, answer.status(), answer::body);
      JsonNode page = answer.json();
      assertEquals(name, page.get("agentName").asText());
      List<String> ids = new ArrayList<>();
      page.get("sessions").forEach(s -> ids.add(s.get("sessionId").asText()));
      assertEquals(List.of(started.get(2), started.get(1), started.get(0)), ids, "newest first");
      JsonNode newest = page.get("sessions").get(0);
      assertEquals("COMPLETED", newest.get("status").asText());
      assertEquals("list me 2", newest.get("input").asText());
      assertEquals("tester", newest.get("userId").asText());
    });
    JsonNode limited = http.get(agentPath(name) + "/sessions?limit=2").json();
    assertEquals(2, limited.get("sessions").size());
    assertEquals(started.get(2), limited.get("sessions").get(0).get("sessionId").asText());

    // Another agent whose name starts with this one's does not mix in.
    String longer = name + "x";
    define(http, longer, answering("other"));
    String other = start(http, longer, "other");
    awaitStatus(http, other, "COMPLETED");
    Eventually.holds("the other agent's session is listed", () -> assertEquals(1,
        http.get(agentPath(longer) + "/sessions").json().get("sessions").size()));
    assertEquals(3, http.get(agentPath(name) + "/sessions").json().get("sessions").size());
  }

  private static JsonNode findListed(String name) {
    String after = null;
    for (int page = 0; page < 1000; page++) {
      JsonNode body = http.get("/api/v1/agents?limit=50" + (after == null ? "" : "&after=" + after)).json();
      for (JsonNode a : body.get("agents")) {
        if (a.get("name").asText().equals(name)) {
          return a;
        }
      }
      if (body.get("next").isNull()) {
        throw new AssertionError(name + " is not listed");
      }
      after = body.get("next").asText();
    }
    throw new AssertionError("agent list does not end");
  }

  /** Every agent name, walking pages of {@code pageSize}. */
  private static List<String> allAgentNames(int pageSize) {
    List<String> all = new ArrayList<>();
    String after = null;
    for (int page = 0; page < 10_000; page++) {
      HttpClientForTests.Answer answer = http.get("/api/v1/agents?limit=" + pageSize + (after == null ? "" : "&after=" + after));
      assertEquals(200, answer.status(), answer::body);
      JsonNode body = answer.json();
      assertTrue(body.get("agents").size() <= pageSize, () -> "page larger than limit: " + body);
      all.addAll(names(body));
      if (body.get("next").isNull()) {
        return all;
      }
      assertEquals(all.get(all.size() - 1), body.get("next").asText(), "next is the page's last name");
      after = body.get("next").asText();
    }
    throw new AssertionError("agent list does not end");
  }

  private static List<String> names(JsonNode page) {
    List<String> names = new ArrayList<>();
    page.get("agents").forEach(a -> names.add(a.get("name").asText()));
    return names;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }


  /**
   * Issue 13, point 13: a user may own as many agents as their agents quota; one more is 403 naming
   * the quota and changes nothing; redefining one they own is not one more, and retiring one makes room.
   */
  @Test
  void aUsersAgentsQuotaRefusesANewAgentUntilOneIsRetired() {
    SecurityCalls.UserKey user = SecurityCalls.userWithKey(http, "agent quota", "USER");
    String quotas = "/api/v1/security/users/" + user.userId() + "/quotas";
    assertEquals(200, http.send("PUT", quotas, Map.of("Content-Type", "application/json"), "{\"agents\": 2}").status());
    HttpClientForTests as = http.as(user.key());
    String first = uniqueName("quota-a");
    String second = uniqueName("quota-b");
    String third = uniqueName("quota-c");
    define(as, first, answering("one"), 201);
    define(as, second, answering("two"), 201);
    Eventually.holds("the agent table shows both", () ->
        assertEquals(2, http.get(quotas).json().get("use").get("agents").asInt()));

    HttpClientForTests.Answer refused = AgentCalls.put(as, third, answering("three").toString());
    assertEquals(403, refused.status(), refused::body);
    assertEquals("quota exceeded: user " + user.userId() + " owns 2 agents, its agents quota is 2; retire one first",
        refused.json().get("detail").asText());
    assertEquals(404, http.get(agentPath(third)).status(), "nothing was defined");
    define(as, first, answering("one, again"), 200); // a new version of an agent they own

    assertEquals(200, as.send("DELETE", agentPath(second), Map.of(), null).status());
    Eventually.holds("the agent table shows one retired", () ->
        assertEquals(1, http.get(quotas).json().get("use").get("agents").asInt()));
    define(as, third, answering("three"), 201);
  }
}
