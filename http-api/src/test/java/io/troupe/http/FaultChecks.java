package io.troupe.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the fault test verifies once the load has stopped, read through one node: every
 * acknowledged write is there exactly once, logs are gapless, sessions completed with each tool
 * call run once. Failures are collected (not thrown one by one) so a run reports all of them.
 */
final class FaultChecks {

  final List<String> failures = new ArrayList<>();
  final Map<String, Long> counts = new TreeMap<>();
  private final HttpClientForTests http;
  private final FaultLoad load;

  FaultChecks(HttpClientForTests http, FaultLoad load) {
    this.http = http;
    this.load = load;
  }

  private void fail(String what) {
    if (failures.size() < 200) {
      failures.add(what);
    }
  }

  private void count(String name, long n) {
    counts.merge(name, n, Long::sum);
  }

  /** Every stored message of {@code topic} from offset 1, asserting offsets 1, 2, 3 ... with no gap. */
  List<JsonNode> readAll(String topic) {
    List<JsonNode> all = new ArrayList<>();
    for (int page = 0; page < 1000; page++) {
      HttpClientForTests.Answer answer = http.get(BrokerCalls.messagesPath(topic) + "?from=" + (all.size() + 1) + "&limit=1000");
      if (answer.status() != 200) {
        throw new AssertionError("read " + topic + ": " + answer.status() + " " + answer.body());
      }
      JsonNode messages = answer.json().get("messages");
      for (JsonNode m : messages) {
        long expected = all.size() + 1;
        if (m.get("offset").asLong() != expected) {
          fail(topic + ": offset " + m.get("offset") + " where " + expected + " was expected (gap or disorder)");
          return all;
        }
        all.add(m);
      }
      if (messages.size() < 1000) {
        return all;
      }
    }
    throw new AssertionError(topic + " has no end");
  }

  void topics() {
    Map<String, Map<Long, String>> acked = new HashMap<>();
    for (FaultLoad.Ack ack : load.acks) {
      String before = acked.computeIfAbsent(ack.topic(), t -> new HashMap<>()).put(ack.offset(), ack.key());
      if (before != null && !before.equals(ack.key())) {
        fail(ack.topic() + " offset " + ack.offset() + " acknowledged for two keys: " + before + ", " + ack.key());
      }
    }
    Set<String> ackedKeys = new HashSet<>();
    load.acks.forEach(a -> ackedKeys.add(a.key()));
    for (int t = 0; t < FaultLoad.TOPICS; t++) {
      String topic = FaultLoad.topic(t);
      List<JsonNode> stored = readAll(topic);
      count("topic messages stored", stored.size());
      Map<String, Long> offsetOfKey = new HashMap<>();
      for (JsonNode m : stored) {
        String key = m.path("content").path("key").asText();
        Long earlier = offsetOfKey.put(key, m.get("offset").asLong());
        if (earlier != null) {
          fail(topic + ": key " + key + " stored twice, at " + earlier + " and " + m.get("offset"));
        }
        if (!key.startsWith(load.runId + "-")) {
          fail(topic + ": a message no one published: " + m);
        } else if (!ackedKeys.contains(key)) {
          count("topic messages stored whose publish was never acknowledged", 1);
        }
      }
      for (Map.Entry<Long, String> ack : acked.getOrDefault(topic, Map.of()).entrySet()) {
        count("topic acknowledgements checked", 1);
        if (ack.getKey() > stored.size()) {
          fail(topic + ": acknowledged offset " + ack.getKey() + " (key " + ack.getValue() + ") is missing; the log ends at "
              + stored.size());
        } else {
          String key = stored.get((int) (ack.getKey() - 1)).path("content").path("key").asText();
          if (!key.equals(ack.getValue())) {
            fail(topic + ": offset " + ack.getKey() + " was acknowledged for " + ack.getValue() + " but holds " + key);
          }
        }
      }
    }
    count("publishes acknowledged", load.acks.size());
    count("publishes unresolved after retries", load.unresolvedKeys.size());
    if (!load.unresolvedKeys.isEmpty()) {
      fail(load.unresolvedKeys.size() + " publishes got no 2xx in " + FaultLoad.PUBLISH_TRIES + " tries: "
          + load.unresolvedKeys.stream().limit(10).toList());
    }
  }

  void allocations() {
    int highest = load.decisionIndex.get();
    Map<String, Integer> listed = new HashMap<>();
    Map<Integer, List<String>> byIndex = new HashMap<>();
    for (int lo = 1000; lo <= 1000 + highest; lo += 500) {
      String query = "theater=" + load.theater + "&status=APPROVED&minMhz=" + (lo - 0.5) + "&maxMhz=" + (lo + 499.5) + "&limit=1000";
      HttpClientForTests.Answer answer = http.get("/api/v1/allocations?" + query);
      if (answer.status() != 200) {
        throw new AssertionError("allocations ?" + query + ": " + answer.status() + " " + answer.body());
      }
      JsonNode page = answer.json().get("allocations");
      if (page.size() >= 1000) {
        fail("allocation page full (1000) for " + query + ": the window is too wide");
      }
      for (JsonNode a : page) {
        String id = a.get("allocationId").asText();
        int index = (int) Math.round(a.get("frequencyMhz").asDouble() - 1000.0);
        if (listed.put(id, index) != null) {
          fail("allocation " + id + " listed twice");
        }
        byIndex.computeIfAbsent(index, i -> new ArrayList<>()).add(id);
      }
    }
    count("allocations listed (APPROVED)", listed.size());
    Set<Integer> unknown = new HashSet<>(load.unknownDecisions);
    Set<Integer> acknowledged = new HashSet<>();
    for (FaultLoad.Approved a : load.approved) {
      acknowledged.add(a.index());
      Integer index = listed.get(a.allocationId());
      if (index == null) {
        fail("approved allocation " + a.allocationId() + " (request " + a.index() + ") is not listed");
      } else if (index != a.index()) {
        fail("allocation " + a.allocationId() + " is on request " + index + "'s frequency, approved for request " + a.index());
      }
    }
    byIndex.forEach((index, ids) -> {
      if (ids.size() > 1) {
        fail("request " + index + " holds " + ids.size() + " allocations: " + ids);
      }
      if (!acknowledged.contains(index) && !unknown.contains(index)) {
        fail("allocation " + ids + " for request " + index + ", which was refused or not approved");
      }
    });
    long unknownDecided = unknown.stream().filter(byIndex::containsKey).count();
    count("decisions APPROVED (2xx)", load.approved.size());
    count("decisions not approved (2xx)", load.notApproved.size());
    count("decisions refused (no connection)", load.refusedDecisions.get());
    count("decisions unknown (error or timeout)", unknown.size());
    count("decisions unknown, found decided", unknownDecided);
    if (!load.notApproved.isEmpty()) {
      fail(load.notApproved.size() + " requests on free frequencies were not approved: "
          + load.notApproved.stream().limit(5).toList());
    }
  }

  /** Every started session COMPLETED, each of its tool calls once and OK; session-out holds one message per run. */
  void sessions() {
    Set<Long> offsets = new HashSet<>();
    long completed = 0;
    for (String id : load.sessions) {
      HttpClientForTests.Answer answer = http.get("/api/v1/sessions/" + id);
      if (answer.status() != 200) {
        fail("session " + id + ": " + answer.status() + " " + answer.body());
        continue;
      }
      JsonNode view = answer.json();
      if (!"COMPLETED".equals(view.path("status").asText())) {
        fail("session " + id + " is " + view.path("status").asText() + ": " + view.path("error").asText());
        continue;
      }
      completed++;
      JsonNode calls = view.path("toolCalls");
      List<String> names = new ArrayList<>();
      Set<String> callIds = new HashSet<>();
      for (JsonNode call : calls) {
        names.add(call.path("name").asText());
        if (!callIds.add(call.path("callId").asText())) {
          fail("session " + id + ": call " + call.path("callId").asText() + " recorded twice");
        }
        if (!"OK".equals(call.path("outcome").asText())) {
          fail("session " + id + ": tool call not OK: " + call);
        }
        if ("publish_to_topic".equals(call.path("name").asText()) && "OK".equals(call.path("outcome").asText())) {
          JsonNode result = call.path("result").isTextual() ? SpectrumCalls.json(call.path("result").asText()) : call.path("result");
          if (!offsets.add(result.path("offset").asLong())) {
            fail("session " + id + ": publish offset " + result.path("offset") + " claimed by two sessions");
          }
        }
      }
      if (!names.equals(List.of("http_get", "publish_to_topic"))) {
        fail("session " + id + ": tool calls " + names + ", expected [http_get, publish_to_topic]");
      }
    }
    List<JsonNode> out = readAll(FaultLoad.sessionTopic());
    for (JsonNode m : out) {
      if (!("agent:" + load.agent).equals(m.path("sender").asText())) {
        fail("session-out holds a message not from the agent: " + m);
      }
    }
    for (long offset : offsets) {
      if (offset < 1 || offset > out.size()) {
        fail("a session's publish offset " + offset + " is not in session-out (" + out.size() + " messages)");
      }
    }
    long extra = out.size() - offsets.size();
    count("sessions started (202)", load.sessions.size());
    count("sessions COMPLETED", completed);
    count("session starts refused (no connection)", load.refusedSessionStarts.get());
    count("session starts unknown (error or timeout)", load.unknownSessionStarts.get());
    count("session-out messages", out.size());
    count("session-out messages from unacknowledged starts", extra);
    if (extra < 0 || extra > load.unknownSessionStarts.get()) {
      fail("session-out holds " + out.size() + " messages for " + offsets.size() + " known sessions and "
          + load.unknownSessionStarts.get() + " starts of unknown outcome: a tool call ran more or less than once");
    }
  }
}
