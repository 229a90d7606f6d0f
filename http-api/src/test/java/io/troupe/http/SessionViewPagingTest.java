package io.troupe.http;

import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.scripted;
import static io.troupe.http.AgentCalls.start;
import static io.troupe.http.AgentCalls.uniqueName;
import static io.troupe.http.BrokerCalls.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GET /api/v1/sessions/{id} answers the figures and one page of tool calls; with the default
 * bounds, the calls of a reply beyond 16 did not run and say why.
 */
@RunningNodeTest
class SessionViewPagingTest {

  @FromNode private static HttpClientForTests http;

  private static String manyReads(int calls) {
    String read = "{\"name\":\"read_topic\",\"arguments\":{\"topic\":\"paging-topic\"}}";
    return "[{\"toolCalls\":[" + String.join(",", Collections.nCopies(calls, read)) + "]},{\"text\":\"read\"}]";
  }

  private static List<String> ids(JsonNode view) {
    List<String> ids = new ArrayList<>();
    view.get("toolCalls").forEach(c -> ids.add(c.get("callId").asText()));
    return ids;
  }

  @Test
  void theViewHasTheFirstPageOfToolCallsAndTheRestArePagedByIndex() {
    String name = uniqueName("pager");
    define(http, name, scripted("Pager", List.of("read_topic"), manyReads(30)));
    String id = start(http, name, "page " + name);
    JsonNode first = awaitStatus(http, id, "COMPLETED");

    assertEquals(30, first.get("toolCallCount").asInt(), first::toString);
    assertEquals(0, first.get("toolCallsFrom").asInt());
    assertEquals(20, first.get("toolCalls").size(), "20 by default");
    assertEquals(20, first.get("toolCallsNext").asInt());

    JsonNode rest = AgentCalls.parse(http.get("/api/v1/sessions/" + id + "?toolCallsFrom=20&toolCallsLimit=50").body());
    assertEquals(10, rest.get("toolCalls").size(), rest::toString);
    assertEquals(20, rest.get("toolCallsFrom").asInt());
    assertTrue(rest.get("toolCallsNext").isNull(), "the last page");
    List<String> all = new ArrayList<>(ids(first));
    all.addAll(ids(rest));
    assertEquals(30, all.size());
    assertEquals("call_1_21", all.get(20));

    // The default bound: 16 calls of one reply ran, the 14 after them got an error result.
    JsonNode page = AgentCalls.parse(http.get("/api/v1/sessions/" + id + "?toolCallsFrom=15&toolCallsLimit=2").body());
    assertEquals("OK", page.get("toolCalls").get(0).get("outcome").asText(), page::toString);
    assertEquals("ERROR", page.get("toolCalls").get(1).get("outcome").asText(), page::toString);
    assertTrue(page.get("toolCalls").get(1).get("error").asText().contains("at most 16 tool calls"), page::toString);
    assertEquals(17, page.get("toolCallsNext").asInt());
  }

  @Test
  void badPageParametersAre400NamingTheParameter() {
    String name = uniqueName("pager");
    define(http, name, scripted("Pager", List.of("read_topic"), manyReads(1)));
    String id = start(http, name, "page " + name);
    awaitStatus(http, id, "COMPLETED");
    for (String[] bad : List.of(new String[] {"toolCallsLimit=0", "toolCallsLimit"},
        new String[] {"toolCallsLimit=101", "toolCallsLimit"}, new String[] {"toolCallsFrom=-1", "toolCallsFrom"},
        new String[] {"toolCallsFrom=abc", "toolCallsFrom"})) {
      JsonNode problem = assertProblem(http.get("/api/v1/sessions/" + id + "?" + bad[0]), 400);
      assertTrue(problem.toString().contains(bad[1]), () -> bad[0] + ": " + problem);
    }
  }
}
