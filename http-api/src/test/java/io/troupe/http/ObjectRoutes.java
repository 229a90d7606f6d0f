package io.troupe.http;

import static io.troupe.http.AgentCalls.answering;
import static io.troupe.http.AgentCalls.awaitStatus;
import static io.troupe.http.AgentCalls.define;
import static io.troupe.http.AgentCalls.uniqueName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.http.ObjectPermissionTest.Who;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The table of {@link ObjectPermissionTest#everyObjectRouteGivesEachCallerItsDocumentedAnswer}:
 * every route of {@link RouteTable} that addresses one object (an agent, a session, a subscriber
 * position, an allocation, a user's costs, a user and their keys and grants), with the answer
 * README documents for the object's owner (a USER), another USER, a READONLY user and an ADMIN,
 * and what a refusal must leave as it was. For a user's own records the owner is that user.
 */
final class ObjectRoutes {

  /** A request made against a fresh object of the owner's, for one caller. */
  interface Case {
    HttpClientForTests.Answer call(HttpClientForTests as);

    /** Asserts, after a refusal, that the object is as it was. */
    default void unchanged() {}

    /** Undoes a success that would leak into other tests. */
    default void cleanUp() {}
  }

  /**
   * One route: its answers by caller and how to make its object. A route that changes its object
   * gets a fresh one per caller; one that does not shares one object between the callers.
   */
  record Row(String route, Map<Who, Integer> answers, boolean changes, Function<Callers, Case> fresh) {}

  /** Who calls: a client and user id per {@link Who}. */
  record Callers(Map<Who, HttpClientForTests> as, Map<Who, String> ids) {
    HttpClientForTests owner() {
      return as.get(Who.OWNER);
    }

    HttpClientForTests admin() {
      return as.get(Who.ADMIN);
    }

    String ownerId() {
      return ids.get(Who.OWNER);
    }
  }

  private ObjectRoutes() {}

  private static Map<Who, Integer> answers(int owner, int otherUser, int readonly, int admin) {
    return Map.of(Who.OWNER, owner, Who.OTHER_USER, otherUser, Who.READONLY, readonly, Who.ADMIN, admin);
  }

  private static final Map<Who, Integer> EVERYONE = answers(200, 200, 200, 200);
  private static final Map<Who, Integer> OWNER_OR_ADMIN = answers(200, 403, 403, 200);
  private static final Map<Who, Integer> ADMIN_ONLY = answers(403, 403, 403, 200);

  static List<Row> rows() {
    return List.of(
        new Row("GET /api/v1/agents/{name}", EVERYONE, false, c -> {
          String path = AgentCalls.agentPath(privateAgent(c));
          return as -> as.get(path);
        }),
        new Row("PUT /api/v1/agents/{name}", OWNER_OR_ADMIN, true, c -> {
          String name = privateAgent(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return AgentCalls.put(as, name, answering("redefined").toString());
            }

            public void unchanged() {
              assertEquals(1, AgentCalls.agent(c.owner(), name).get("version").asInt(), "redefined anyway");
            }
          };
        }),
        new Row("DELETE /api/v1/agents/{name}", OWNER_OR_ADMIN, true, c -> {
          String name = privateAgent(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.send("DELETE", AgentCalls.agentPath(name), Map.of(), null);
            }

            public void unchanged() {
              assertEquals("ACTIVE", AgentCalls.agent(c.owner(), name).get("status").asText(), "retired anyway");
            }
          };
        }),
        new Row("POST /api/v1/agents/{name}/sessions", answers(202, 403, 403, 202), false, c -> {
          String path = AgentCalls.agentPath(privateAgent(c)) + "/sessions";
          return as -> as.postJson(path, "{\"input\":\"run " + uniqueName("input") + "\"}");
        }),
        new Row("GET /api/v1/agents/{name}/sessions", EVERYONE, false, c -> {
          String path = AgentCalls.agentPath(privateAgent(c)) + "/sessions"; // each sees the sessions they may read
          return as -> as.get(path);
        }),
        new Row("GET /api/v1/sessions/{id}", answers(200, 403, 200, 200), false, c -> {
          String path = "/api/v1/sessions/" + completedSession(c);
          return as -> as.get(path);
        }),
        new Row("GET /api/v1/sessions/{id}/events", answers(200, 403, 200, 200), false, c -> {
          String path = "/api/v1/sessions/" + completedSession(c) + "/events"; // ended: the stream ends too
          return as -> as.get(path);
        }),
        new Row("POST /api/v1/sessions/{id}/cancel", OWNER_OR_ADMIN, false, c -> {
          String id = completedSession(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.postJson("/api/v1/sessions/" + id + "/cancel", "");
            }

            public void unchanged() {
              assertEquals("COMPLETED", AgentCalls.session(c.owner(), id).get("status").asText());
            }
          };
        }),
        new Row("GET /api/v1/sessions/{id}/messages", answers(200, 403, 200, 200), false, c -> {
          String path = "/api/v1/sessions/" + completedSession(c) + "/messages";
          return as -> as.get(path);
        }),
        new Row("POST /api/v1/sessions/{id}/messages", answers(202, 403, 403, 202), true, c -> {
          String id = waitingConversation(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.postJson("/api/v1/sessions/" + id + "/messages", "{\"input\":\"more\"}");
            }

            public void unchanged() {
              JsonNode view = AgentCalls.session(c.owner(), id);
              assertEquals("WAITING_FOR_INPUT", view.get("status").asText());
              assertEquals(1, view.get("turnCount").asInt());
            }
          };
        }),
        // The OpenAI-compatible door: X-Troupe-Session names the conversation a completion continues.
        new Row("POST /v1/chat/completions (X-Troupe-Session)", answers(200, 403, 403, 200), true, c -> {
          String id = waitingConversation(c);
          String agent = io.troupe.runtime.agent.SessionIds.agentOf(id);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return OpenAiCalls.complete(as, OpenAiCalls.ask(agent, "more"), id);
            }

            public void unchanged() {
              JsonNode view = AgentCalls.session(c.owner(), id);
              assertEquals("WAITING_FOR_INPUT", view.get("status").asText());
              assertEquals(1, view.get("turnCount").asInt());
            }
          };
        }),
        new Row("GET /v1/models/{model}", answers(200, 403, 403, 200), false, c -> {
          String name = privateAgent(c);
          return as -> as.get("/v1/models/" + name);
        }),
        new Row("POST /api/v1/sessions/{id}/close", answers(200, 403, 403, 200), true, c -> {
          String id = waitingConversation(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.postJson("/api/v1/sessions/" + id + "/close", "{}");
            }

            public void unchanged() {
              assertEquals("WAITING_FOR_INPUT", AgentCalls.session(c.owner(), id).get("status").asText());
            }
          };
        }),
        new Row("POST /api/v1/sessions/{id}/approvals/{callId}", answers(200, 403, 403, 200), true, c -> {
          String id = awaitingApproval(c);
          String callId = AgentCalls.session(c.owner(), id).get("pendingApproval").get("callId").asText();
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.postJson("/api/v1/sessions/" + id + "/approvals/" + callId, "{\"approve\":false}");
            }

            public void unchanged() {
              assertEquals("AWAITING_APPROVAL", AgentCalls.session(c.owner(), id).get("status").asText());
            }
          };
        }),
        new Row("GET /api/v1/topics/{topic}/subscribers/{name}", EVERYONE, false, c -> {
          String path = ownersPosition(c);
          return as -> as.get(path);
        }),
        new Row("POST /api/v1/topics/{topic}/subscribers/{name}/ack", OWNER_OR_ADMIN, true, c -> {
          String path = ownersPosition(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.postJson(path + "/ack", "{\"offset\":2}");
            }

            public void unchanged() {
              assertEquals(1, c.admin().get(path).json().get("ackedOffset").asLong(), "moved anyway");
              assertEquals(c.ownerId(), c.admin().get(path).json().get("owner").asText(), "owner changed");
            }
          };
        }),
        new Row("GET /api/v1/allocations/{id}", EVERYONE, false, c -> {
          String path = "/api/v1/allocations/" + ownersAllocation(c);
          return as -> as.get(path);
        }),
        new Row("DELETE /api/v1/allocations/{id}", OWNER_OR_ADMIN, true, c -> {
          String id = ownersAllocation(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.send("DELETE", "/api/v1/allocations/" + id, Map.of(), null);
            }

            public void unchanged() {
              assertEquals("APPROVED", SpectrumCalls.allocation(c.admin(), id).get("status").asText(), "released anyway");
            }
          };
        }),
        // A held request (issue 14, point 8): the owner's allocation, which an ADMIN's FLASH would preempt.
        new Row("GET /api/v1/deconfliction/requests/{decisionId}", EVERYONE, false, c -> {
          String path = "/api/v1/deconfliction/requests/" + heldOverOwners(c);
          return as -> as.get(path);
        }),
        new Row("POST /api/v1/deconfliction/requests/{decisionId}/approval", ADMIN_ONLY, true, c -> {
          String id = heldOverOwners(c);
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.postJson("/api/v1/deconfliction/requests/" + id + "/approval", "{\"approve\": false}");
            }

            public void unchanged() {
              assertEquals("PENDING_APPROVAL", c.admin().get("/api/v1/deconfliction/requests/" + id).json()
                  .get("status").asText(), "reviewed anyway");
            }
          };
        }),
        new Row("GET /api/v1/costs/usage/{userId}", OWNER_OR_ADMIN, false, c -> {
          String path = "/api/v1/costs/usage/" + c.ownerId();
          return as -> as.get(path);
        }),
        new Row("GET /api/v1/costs/budget?scope=user&subject={userId}", OWNER_OR_ADMIN, false, c -> {
          String path = "/api/v1/costs/budget?scope=user&subject=" + c.ownerId();
          return as -> as.get(path);
        }),
        new Row("GET /api/v1/admin/user-activity/{userId}", ADMIN_ONLY, false, c -> {
          String path = "/api/v1/admin/user-activity/" + c.ownerId();
          return as -> as.get(path);
        }),
        new Row("GET /api/v1/security/users/{id}", ADMIN_ONLY, false, c -> {
          String path = userPath(c);
          return as -> as.get(path);
        }),
        new Row("PUT /api/v1/security/users/{id}/role", ADMIN_ONLY, false, c -> new Case() {
          public HttpClientForTests.Answer call(HttpClientForTests as) {
            // To the role the owner has: an ADMIN's success changes nothing the other rows rely on.
            return as.send("PUT", userPath(c) + "/role", Map.of("Content-Type", "application/json"),
                "{\"role\":\"USER\"}");
          }

          public void unchanged() {
            assertEquals("USER", c.admin().get(userPath(c)).json().get("role").asText());
          }
        }),
        new Row("POST /api/v1/security/users/{id}/api-keys", answers(403, 403, 403, 201), true, c -> {
          int keys = c.admin().get(userPath(c)).json().get("apiKeys").size();
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.postJson(userPath(c) + "/api-keys", "{\"label\":\"matrix\"}");
            }

            public void unchanged() {
              assertEquals(keys, c.admin().get(userPath(c)).json().get("apiKeys").size(), "a key was issued anyway");
            }
          };
        }),
        new Row("DELETE /api/v1/security/users/{id}/api-keys/{keyId}", ADMIN_ONLY, true, c -> {
          SecurityCalls.UserKey spare = SecurityCalls.newKey(c.admin(), c.ownerId());
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.send("DELETE", userPath(c) + "/api-keys/" + spare.keyId(), Map.of(), null);
            }

            public void unchanged() {
              assertEquals(200, c.admin().as(spare.key()).get("/api/v1/topics").status(), "revoked anyway");
            }
          };
        }),
        new Row("GET /api/v1/security/users/{id}/quotas", ADMIN_ONLY, false, c -> {
          String path = userPath(c) + "/quotas";
          return as -> as.get(path);
        }),
        new Row("PUT /api/v1/security/users/{id}/quotas", ADMIN_ONLY, true, c -> new Case() {
          public HttpClientForTests.Answer call(HttpClientForTests as) {
            return as.send("PUT", userPath(c) + "/quotas", Map.of("Content-Type", "application/json"), "{\"agents\":7}");
          }

          public void unchanged() {
            assertTrue(c.admin().get(userPath(c) + "/quotas").json().get("own").get("agents").isNull(), "set anyway");
          }

          public void cleanUp() {
            assertEquals(200, c.admin().send("PUT", userPath(c) + "/quotas", Map.of("Content-Type", "application/json"),
                "{}").status());
          }
        }),
        new Row("PUT /api/v1/security/users/{id}/grants/{permission}", ADMIN_ONLY, true, c -> new Case() {
          public HttpClientForTests.Answer call(HttpClientForTests as) {
            return as.send("PUT", grantPath(c), Map.of(), null);
          }

          public void unchanged() {
            assertEquals("[]", c.admin().get(userPath(c)).json().get("grants").toString(), "granted anyway");
          }

          public void cleanUp() {
            assertEquals(200, c.admin().send("DELETE", grantPath(c), Map.of(), null).status());
          }
        }),
        new Row("DELETE /api/v1/security/users/{id}/grants/{permission}", ADMIN_ONLY, true, c -> {
          assertEquals(200, c.admin().send("PUT", grantPath(c), Map.of(), null).status());
          return new Case() {
            public HttpClientForTests.Answer call(HttpClientForTests as) {
              return as.send("DELETE", grantPath(c), Map.of(), null);
            }

            public void unchanged() {
              assertEquals("[\"deconfliction:priority\"]", c.admin().get(userPath(c)).json().get("grants").toString(),
                  "withdrawn anyway");
            }

            public void cleanUp() {
              assertEquals(200, c.admin().send("DELETE", grantPath(c), Map.of(), null).status());
            }
          };
        }));
  }

  private static String privateAgent(Callers c) {
    String name = uniqueName("matrix");
    define(c.owner(), name, answering("the owner's answer"));
    return name;
  }

  /** The owner's conversation after its first answer, waiting for input. */
  private static String waitingConversation(Callers c) {
    String name = uniqueName("private-chat");
    ObjectNode def = AgentCalls.scripted("Chat of " + name, List.of(), "[{\"text\":\"hi\"},{\"text\":\"again\"}]");
    def.put("conversational", true);
    AgentCalls.define(c.owner(), name, def);
    return sessionWithStatus(c, name, "WAITING_FOR_INPUT");
  }

  /** The owner's session waiting for the approval of its one tool call. */
  private static String awaitingApproval(Callers c) {
    String name = uniqueName("private-careful");
    ObjectNode def = AgentCalls.scripted("Careful " + name, List.of("get_spectrum_plan"), AgentCalls.toolThenAnswer(
        "Looking.", "get_spectrum_plan", "{\"theater\":\"nowhere\"}", "Done."));
    def.putArray("approvalRequired").add("*");
    AgentCalls.define(c.owner(), name, def);
    return sessionWithStatus(c, name, "AWAITING_APPROVAL");
  }

  private static String sessionWithStatus(Callers c, String agent, String status) {
    HttpClientForTests.Answer started = AgentCalls.startRaw(c.owner(), agent, "{\"input\":\"go\"}");
    assertEquals(202, started.status(), started::body);
    String id = started.json().get("sessionId").asText();
    Eventually.await(java.time.Duration.ofSeconds(30), "session " + id + " is " + status, () ->
        status.equals(AgentCalls.session(c.owner(), id).get("status").asText())
            ? java.util.Optional.of(id) : java.util.Optional.empty());
    return id;
  }

  private static String completedSession(Callers c) {
    HttpClientForTests.Answer started = AgentCalls.startRaw(c.owner(), privateAgent(c), "{\"input\":\"go\"}");
    assertEquals(202, started.status(), started::body);
    String id = started.json().get("sessionId").asText();
    awaitStatus(c.owner(), id, "COMPLETED");
    return id;
  }

  /** A position of the owner's at offset 1 of a topic with three messages. */
  private static String ownersPosition(Callers c) {
    String topic = uniqueName("matrix-topic");
    for (int i = 0; i < 3; i++) {
      BrokerCalls.publish(c.admin(), topic, Integer.toString(i));
    }
    String path = "/api/v1/topics/" + topic + "/subscribers/reader";
    HttpClientForTests.Answer created = c.owner().postJson(path + "/ack", "{\"offset\":1}");
    assertEquals(200, created.status(), created::body);
    return path;
  }

  private static String ownersAllocation(Callers c) {
    return SpectrumCalls.approved(c.owner(), SpectrumCalls.request(uniqueName("matrix-theater"), "radio", 150));
  }

  /** The decision id of an ADMIN's FLASH request held for approval over the owner's allocation. */
  private static String heldOverOwners(Callers c) {
    String theater = uniqueName("held-theater");
    SpectrumCalls.putRoe(c.admin(), theater, "{\"preemptionNeedsApproval\": true}");
    SpectrumCalls.approved(c.owner(), SpectrumCalls.request(theater, "radio", 243));
    HttpClientForTests.Answer held = c.admin().postJson(SpectrumCalls.REQUESTS,
        SpectrumCalls.request(theater, "flash", 243).put("priority", "FLASH").toString());
    assertEquals(202, held.status(), held::body);
    return held.json().get("decisionId").asText();
  }

  private static String userPath(Callers c) {
    return "/api/v1/security/users/" + c.ownerId();
  }

  private static String grantPath(Callers c) {
    return userPath(c) + "/grants/deconfliction:priority";
  }
}
