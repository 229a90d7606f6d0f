package io.troupe.http;

import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lists from read tables: {@code GET /api/v1/sessions} with its filters and cursor, the same
 * cursor on an agent's sessions and on the audit log, and a finished session read without its
 * entity.
 */
@RunningNodeTest
class SessionListsTest {

  @FromNode private static RunningNode node;
  private static HttpClientForTests http;
  private static HttpClientForTests bea;
  private static String beaId;

  @BeforeAll
  static void startNode() throws Exception {
    http = node.http;
    SecurityCalls.UserKey key = SecurityCalls.userWithKey(http, "bea", "USER");
    beaId = key.userId();
    bea = http.as(key.key());
  }


  private static String startAs(HttpClientForTests client, String agent, String input) {
    return client.postJson("/api/v1/agents/" + agent + "/sessions", "{\"input\":\"" + input + "\"}").json()
        .get("sessionId").asText();
  }

  private static List<String> ids(JsonNode page) {
    List<String> ids = new ArrayList<>();
    page.get("sessions").forEach(s -> ids.add(s.get("sessionId").asText()));
    return ids;
  }

  @Test
  void allSessionsNewestFirstWithFiltersAndACursor() {
    String agent = uniqueName("listed");
    String other = uniqueName("unlisted");
    define(http, agent, answering("ok").put("shared", true)); // Bea runs it too
    define(http, other, answering("ok"));
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String id = startAs(i % 2 == 0 ? bea : http, agent, "n" + i);
      awaitStatus(http, id, "COMPLETED");
      mine.add(0, id); // newest first
    }
    awaitStatus(http, startAs(http, other, "x"), "COMPLETED");

    Eventually.holds("the sessions are listed", () -> assertEquals(mine, ids(http.get("/api/v1/sessions?agent=" + agent)
        .json())));
    JsonNode all = http.get("/api/v1/sessions?limit=100").json();
    assertTrue(ids(all).containsAll(mine), all::toString);
    assertTrue(all.get("next").isNull(), "one page holds them all");

    // Pages of two, following next, give the same sessions in the same order, each once.
    List<String> paged = new ArrayList<>();
    String after = null;
    for (int page = 0; page < 10; page++) {
      JsonNode p = http.get("/api/v1/sessions?agent=" + agent + "&limit=2" + (after == null ? "" : "&after=" + after)).json();
      paged.addAll(ids(p));
      after = p.get("next").isNull() ? null : p.get("next").asText();
      if (after == null) {
        break;
      }
    }
    assertEquals(mine, paged);

    // Filters: by owner, by status, by time.
    JsonNode beas = http.get("/api/v1/sessions?agent=" + agent + "&user=" + beaId).json();
    assertEquals(List.of(mine.get(0), mine.get(2), mine.get(4)), ids(beas));
    beas.get("sessions").forEach(s -> assertEquals(beaId, s.get("owner").asText()));
    assertEquals(mine, ids(http.get("/api/v1/sessions?agent=" + agent + "&status=COMPLETED").json()));
    assertEquals(0, http.get("/api/v1/sessions?agent=" + agent + "&status=RUNNING").json().get("sessions").size());
    String newestStart = http.get("/api/v1/sessions/" + mine.get(0)).json().get("startedAt").asText();
    assertEquals(List.of(mine.get(0)), ids(http.get("/api/v1/sessions?agent=" + agent + "&since=" + newestStart).json()));

    // An agent's sessions take the same cursor.
    JsonNode first = http.get("/api/v1/agents/" + agent + "/sessions?limit=3").json();
    assertEquals(mine.subList(0, 3), ids(first));
    JsonNode second = http.get("/api/v1/agents/" + agent + "/sessions?limit=3&after=" + first.get("next").asText()).json();
    assertEquals(mine.subList(3, 5), ids(second));
    assertTrue(second.get("next").isNull());
  }

  @Test
  void badFiltersAndCursorsAre400() {
    for (String query : List.of("status=DONE", "status=NEW", "agent=a%20b", "since=yesterday", "after=nonsense",
        "after=" + java.util.Base64.getUrlEncoder().encodeToString("x:y".getBytes()), "limit=0", "limit=1001",
        "user=")) {
      JsonNode problem = assertProblem(http.get("/api/v1/sessions?" + query), 400);
      assertTrue(problem.get("detail").asText().length() > 0, problem::toString);
    }
    assertProblem(http.get("/api/v1/security/audit?after=nonsense"), 400);
  }

  @Test
  void theAuditLogPagesWithACursor() {
    for (int i = 0; i < 5; i++) {
      assertEquals(200, http.get("/api/v1/agents").status());
    }
    Eventually.holds("the audit log holds the reads", () -> assertTrue(
        http.get("/api/v1/security/audit?limit=1000").json().get("entries").size() >= 5));
    JsonNode whole = http.get("/api/v1/security/audit?limit=1000").json();
    List<Long> expected = new ArrayList<>();
    whole.get("entries").forEach(e -> expected.add(e.get("id").asLong()));
    List<Long> paged = new ArrayList<>();
    String after = null;
    for (int page = 0; page < 1000; page++) {
      JsonNode p = http.get("/api/v1/security/audit?limit=2" + (after == null ? "" : "&after=" + after)).json();
      p.get("entries").forEach(e -> paged.add(e.get("id").asLong()));
      if (p.get("next").isNull()) {
        break;
      }
      after = p.get("next").asText();
    }
    // Entries written after the whole read (the paging requests' own) are newer: they can only come
    // first. Below them, the pages hold exactly the log as read whole, in order, each entry once.
    assertTrue(paged.size() >= expected.size(), "paged " + paged);
    assertEquals(expected, paged.subList(paged.size() - expected.size(), paged.size()), "paged " + paged);
    assertEquals(paged.size(), paged.stream().distinct().count(), "each entry once");
  }
}
