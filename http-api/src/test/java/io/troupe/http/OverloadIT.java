package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.bench.NioHttpLoad;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.TestNodes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, target 6: overload is a fast 503 with {@code Retry-After}, never a timeout. One node
 * with the default admission bound ({@code troupe.http.max-in-flight} 512; only the rate limits
 * are lifted, as for every test node) is first measured: its sustainable HTTP publish rate R to
 * one topic, in this run, on this machine (a closed loop of 8 keep-alive connections, 2 s
 * warm-up, 3 s measured). Then it is offered 5 × R open-loop for 4 s on 1,024 keep-alive
 * connections (the edge's accept backlog), opened and warmed (a health probe answered on each)
 * before the clock starts, as a client's pool would be: a burst of 1,024 new connections costs the
 * node seconds of setup on this machine, which is the accept path's cost, not the request rate's
 * (the session benchmark's 1,000 clients cover that). A node that cannot keep up must refuse:
 * publishes to the one topic beyond troupe.broker.max-pending-publishes (32) waiting on it, or
 * beyond 4 while its last answered publish waited over troupe.broker.max-publish-wait (250 ms), or
 * requests beyond troupe.http.max-in-flight (512) on the node. (With the node-wide bound alone,
 * admitted publishes to one topic queued 512 ÷ R: 2-5 s; with a count of 64 alone, 64 ÷ the
 * topic's rate under the flood, which fell to 70/s in a busy CI run: 2 s. Hence max-publish-wait.)
 *
 * <p>What it checks, for every request of the overload phase that was sent: it was answered (no
 * connection failure, nothing left unanswered); the answer is a 201, or either bound's 503
 * with {@code Retry-After} and problem+json — no other status, in particular not the edge's "the
 * cluster did not answer in time" 503 (an ask timeout inside the cluster); and it came within 1 s
 * of the request being written to the socket. Every acknowledged (201) message, of both phases,
 * is in the topic afterwards exactly once, no refused one is, and the node then serves normally.
 *
 * <p>Why these thresholds: 1 s is the target's own bound; it is far below the services' ask
 * timeout (5 s, up to 3 attempts) and Pekko's request timeout (20 s), so a request that queues
 * towards either fails it. 5 × R is relative to what the node carries here, not a fixed rate, so
 * the test means the same on a faster or a busier machine. The latency is asserted from the
 * write, not from the scheduled send time: the load generator shares the two cores with the node
 * and may fall behind its schedule, which is its delay, not the node's; the latency from the
 * scheduled time (no coordinated omission) and the generator's lag are printed beside it. A
 * request due while all 1,024 connections await answers is not sent (the generator's bound, as in
 * the benchmarks); such requests are counted and printed, not asserted: they never reached the
 * node. When the one-thread client does not reach 5 × R the summary says what it reached, and the
 * assertions hold for what was offered. The summary line ("overload: ...") is the figure for
 * BENCHMARKS.md; the timeline line below it shows, per half second of write time, how many
 * requests were written, served and refused, the slowest of each, and the in-flight gauge.
 */
@RunningNodeTest
// An integration test (failsafe, one JVM at a time, after the unit tests): its 1 s bound is about
// this node, and a unit-test JVM running beside it on the two cores made the node, not the bounds,
// the slow part (R fell to 170-270/s and answers to 0.9-2.2 s).
class OverloadIT {

  private static final String TOPIC = "overload";
  /**
   * One topic takes its publishes one journal write at a time, so a few connections keep it busy;
   * many would only queue (and meet the topic's pending bound, max-publish-wait).
   */
  private static final int CALIBRATION_CONNECTIONS = 8;
  private static final long CALIBRATION_WARMUP_NANOS = 2_000_000_000L;
  private static final long CALIBRATION_MEASURE_NANOS = 3_000_000_000L;
  private static final int OVERLOAD_FACTOR = 5;
  private static final long OVERLOAD_NANOS = 4_000_000_000L;
  private static final int OVERLOAD_CONNECTIONS = 1024;
  private static final long ANSWER_WITHIN_NANOS = 1_000_000_000L;
  private static final long SLICE_NANOS = 500_000_000L;
  private static final int EXAMPLES = 10;

  @FromNode private static RunningNode node;

  /** A growing array of nanosecond values, with percentiles in milliseconds. */
  private static final class Nanos {
    private long[] values = new long[1 << 14];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    long percentileMillis(double p) {
      if (size == 0) {
        return -1;
      }
      long[] sorted = Arrays.copyOf(values, size);
      Arrays.sort(sorted);
      return sorted[(int) Math.max(0, Math.min(size - 1, Math.ceil(p / 100 * size) - 1))] / 1_000_000;
    }
  }

  /** The answers of one phase, checked and tallied as they come (on the load generator's thread only). */
  private static final class Tally {
    long origin;
    final Set<String> acknowledged = new HashSet<>();
    final Set<String> refused = new HashSet<>();
    final Map<String, Integer> wrong = new TreeMap<>();
    final List<String> examples = new ArrayList<>();
    final Nanos fromWrite = new Nanos();
    final Nanos fromSchedule = new Nanos();
    final Nanos servedFromWrite = new Nanos();
    final Nanos refusedFromWrite = new Nanos();
    final Nanos lag = new Nanos();
    // Per slice of write time: written, served, refused, slowest served (ms), slowest refused (ms).
    final long[][] slices = new long[64][5];
    int answered;
    int notSent;
    int late;
    long slowest;
    long writtenBefore;
    int writtenInWindow;

    Tally(long origin, long windowEnd) {
      this.origin = origin;
      this.writtenBefore = windowEnd;
    }

    private void example(String text) {
      if (examples.size() < EXAMPLES) {
        examples.add(text);
      }
    }

    private void wrong(String kind, NioHttpLoad.Exchange e) {
      wrong.merge(kind, 1, Integer::sum);
      example(kind + ": request " + e.request() + " status " + e.status()
          + (e.failure() != null ? " " + e.failure() : "")
          + (e.head() != null ? " head " + e.head().replace("\r\n", " | ") + " body " + e.body() : ""));
    }

    /** Checks one exchange: answered, 201 or the admission bound's 503 with Retry-After and problem+json, within 1 s. */
    void check(String id, NioHttpLoad.Exchange e) {
      if (e.status() == 0) {
        notSent++;
        return;
      }
      if (e.writtenNanos() < writtenBefore) {
        writtenInWindow++;
      }
      lag.add(e.writtenNanos() - e.scheduledNanos());
      if (e.status() < 0) {
        wrong("connection failure", e);
        return;
      }
      answered++;
      long took = e.doneNanos() - e.writtenNanos();
      fromWrite.add(took);
      fromSchedule.add(e.doneNanos() - e.scheduledNanos());
      slowest = Math.max(slowest, took);
      if (took >= ANSWER_WITHIN_NANOS) {
        late++;
        example("late: request " + e.request() + " status " + e.status() + " answered " + took / 1_000_000
            + " ms after it was written");
      }
      long[] slice = slices[(int) Math.min(slices.length - 1, Math.max(0, (e.writtenNanos() - origin) / SLICE_NANOS))];
      slice[0]++;
      if (e.status() == 201) {
        acknowledged.add(id);
        servedFromWrite.add(took);
        slice[1]++;
        slice[3] = Math.max(slice[3], took / 1_000_000);
      } else if (e.status() == 503) {
        String contentType = e.header("Content-Type");
        if (e.body().contains("did not answer in time")) {
          wrong("503 cluster timeout", e);
        } else if (!e.body().contains("max-in-flight") && !e.body().contains("max-pending-publishes")) {
          wrong("503 not from admission (the node's in-flight bound or the topic's pending bound)", e);
        } else if (e.header("Retry-After") == null) {
          wrong("503 without Retry-After", e);
        } else if (contentType == null || !contentType.startsWith("application/problem+json")) {
          wrong("503 not problem+json", e);
        } else {
          refused.add(id);
          refusedFromWrite.add(took);
          slice[2]++;
          slice[4] = Math.max(slice[4], took / 1_000_000);
        }
      } else {
        wrong("HTTP " + e.status(), e);
      }
    }
  }

  @Test
  void fiveTimesTheSustainableRateIsServedOrRefusedWithinASecondAndNothingAcknowledgedIsLost() throws Exception {
    int port = node.ports.http();
    BrokerCalls.publish(node.http, TOPIC, "{\"warm\": true}"); // the topic entity is up before the load

    // 1. Calibration: what this node sustains here, now.
    long calibrationStart = System.nanoTime();
    long measureFrom = calibrationStart + CALIBRATION_WARMUP_NANOS;
    long measureTo = measureFrom + CALIBRATION_MEASURE_NANOS;
    Tally calibration = new Tally(calibrationStart, measureTo);
    int[] inWindow = {0};
    NioHttpLoad.run(port, CALIBRATION_CONNECTIONS, publish(port, "c-"), measureTo, e -> {
      calibration.check("c-" + e.request(), e);
      if (e.status() == 201 && e.doneNanos() >= measureFrom && e.doneNanos() < measureTo) {
        inWindow[0]++;
      }
    });
    int sustainable = (int) (inWindow[0] / (CALIBRATION_MEASURE_NANOS / 1e9));
    assertEquals(Map.of(), calibration.wrong, () -> "the calibration load is carried, all 201: " + calibration.examples);
    assertTrue(sustainable > 0, "the node published nothing in the calibration");

    // 2. Overload: 5 × R, open loop, with the in-flight gauge sampled beside it.
    int offered = OVERLOAD_FACTOR * sustainable;
    double refusedBefore = refusals();
    // The clock starts once the client's 1,024 connections are open and warm (OVERLOAD_CONNECTIONS).
    Tally overload = new Tally(0, Long.MAX_VALUE);
    java.util.concurrent.atomic.AtomicLong overloadEnd = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
    java.util.concurrent.CountDownLatch begun = new java.util.concurrent.CountDownLatch(1);
    List<long[]> gauge = Collections.synchronizedList(new ArrayList<>());
    Thread sampler = new Thread(() -> {
      try {
        begun.await(60, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        return;
      }
      while (System.nanoTime() < overloadEnd.get() + SLICE_NANOS) {
        long at = System.nanoTime();
        gauge.add(new long[] {at, (long) metric("troupe_http_requests_in_flight")});
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "overload-gauge");
    sampler.setDaemon(true);
    sampler.start();
    NioHttpLoad.runAtRate(port, OVERLOAD_CONNECTIONS, OVERLOAD_CONNECTIONS, offered, publish(port, "o-"),
        OVERLOAD_NANOS, start -> {
          overload.origin = start;
          overload.writtenBefore = start + OVERLOAD_NANOS;
          overloadEnd.set(start + OVERLOAD_NANOS);
          begun.countDown();
        }, e -> overload.check("o-" + e.request(), e));
    sampler.join(5_000);
    double refusedCounted = refusals() - refusedBefore;
    int reached = (int) (overload.writtenInWindow / (OVERLOAD_NANOS / 1e9));
    long inFlightPeak = gauge.stream().mapToLong(g -> g[1]).max().orElse(-1);

    String summary = String.format(
        "overload: R %,d req/s (1 topic, closed loop, %d connections, p99 %d ms); offered %d x R = %,d req/s for %.0f s"
            + " on up to %,d connections, reached %,d req/s%s (client lag p99 %d ms); %,d sent: %,d served (%,d/s),"
            + " %,d refused with 503 + Retry-After (node counted %,.0f), %s; %,d not sent (all connections awaiting"
            + " answers); in flight peak %d; from write p50 %d / p99 %d / max %d ms (served p99 %d / max %d,"
            + " refused p99 %d / max %d), from schedule p50 %d / p99 %d ms",
        sustainable, CALIBRATION_CONNECTIONS, calibration.fromWrite.percentileMillis(99), OVERLOAD_FACTOR, offered,
        OVERLOAD_NANOS / 1e9, OVERLOAD_CONNECTIONS, reached,
        reached >= offered * 0.95 ? "" : " - the client did NOT reach the offered rate",
        overload.lag.percentileMillis(99), overload.answered + overload.wrong.getOrDefault("connection failure", 0),
        overload.acknowledged.size(), Math.round(overload.acknowledged.size() / (OVERLOAD_NANOS / 1e9)),
        overload.refused.size(), refusedCounted, overload.wrong.isEmpty() ? "nothing else" : "other " + overload.wrong,
        overload.notSent, inFlightPeak, overload.fromWrite.percentileMillis(50), overload.fromWrite.percentileMillis(99),
        overload.slowest / 1_000_000, overload.servedFromWrite.percentileMillis(99),
        overload.servedFromWrite.percentileMillis(100), overload.refusedFromWrite.percentileMillis(99),
        overload.refusedFromWrite.percentileMillis(100), overload.fromSchedule.percentileMillis(50),
        overload.fromSchedule.percentileMillis(99));
    System.out.println(summary);
    System.out.println(timeline(overload, gauge));
    if (!overload.examples.isEmpty()) {
      System.out.println("overload examples: " + overload.examples);
    }

    // 3. Every request sent answered, with 201 or the admission 503, within 1 s of its write; acknowledged
    // work never lost, nothing refused stored, nothing twice; the node serves normally after. One
    // report, so that a run that fails one of these still says how the others went.
    Map<String, Integer> stored = storedIds();
    List<String> lost = new ArrayList<>();
    for (Set<String> acks : List.of(calibration.acknowledged, overload.acknowledged)) {
      acks.stream().filter(id -> !stored.containsKey(id)).forEach(lost::add);
    }
    List<String> refusedButStored = overload.refused.stream().filter(stored::containsKey).toList();
    List<String> twice = stored.entrySet().stream().filter(en -> en.getValue() > 1).map(Map.Entry::getKey).toList();
    // And the node serves normally after.
    HttpClientForTests.Answer after = node.http.postJson(BrokerCalls.messagesPath(TOPIC),
        BrokerCalls.body("alice", null, "note", "{\"after\": true}"));
    int ready = node.http.get("/health/ready").status();
    System.out.printf("overload replay: %,d acknowledged (%,d + %,d), %,d stored, %d lost, %d refused but stored,"
        + " %d stored twice; after: publish %d, ready %d%n", calibration.acknowledged.size()
        + overload.acknowledged.size(), calibration.acknowledged.size(), overload.acknowledged.size(), stored.size(),
        lost.size(), refusedButStored.size(), twice.size(), after.status(), ready);
    assertAll("5 x R: " + summary,
        () -> assertEquals(Map.of(), overload.wrong,
            () -> "every request is served or refused by admission: " + overload.examples),
        () -> assertEquals(0, overload.late,
            () -> "every answer within 1 s of its write; slowest " + overload.slowest / 1_000_000 + " ms: "
                + overload.examples),
        () -> assertTrue(overload.answered > 0, "answers"),
        () -> assertTrue(refusedCounted >= overload.refused.size(), "every refusal is counted"),
        () -> assertEquals(List.of(), first(lost), "acknowledged publishes missing from the topic"),
        () -> assertEquals(List.of(), first(refusedButStored), "a refusal appended nothing"),
        () -> assertEquals(List.of(), first(twice), "each publish appended once"),
        () -> assertEquals(calibration.acknowledged.size() + overload.acknowledged.size(), stored.size(),
            "the topic holds exactly the acknowledged publishes"),
        () -> assertEquals(201, after.status(), () -> "a publish after the overload: " + after.body()),
        () -> assertEquals(200, ready, "ready after the overload"));
  }

  /** Refusals the node counted: by the edge's in-flight bound and by a topic's pending-publish bound. */
  private static double refusals() {
    return metric("troupe_http_requests_refused_total") + metric("troupe_broker_publishes_refused_total");
  }

  private static List<String> first(List<String> ids) {
    return ids.subList(0, Math.min(EXAMPLES, ids.size()));
  }

  /** Per slice of write time: written / served / refused, slowest served / refused (ms), the gauge's peak. */
  private static String timeline(Tally t, List<long[]> gauge) {
    StringBuilder out = new StringBuilder("overload timeline (per 0.5 s written: sent/201/503, slowest 201/503 ms,"
        + " in flight peak):");
    for (int i = 0; i < t.slices.length; i++) {
      long[] s = t.slices[i];
      long from = t.origin + i * SLICE_NANOS;
      long peak;
      synchronized (gauge) {
        peak = gauge.stream().filter(g -> g[0] >= from && g[0] < from + SLICE_NANOS).mapToLong(g -> g[1]).max()
            .orElse(-1);
      }
      if (s[0] > 0 || peak > 0) {
        out.append(String.format(" [%.1fs %d/%d/%d %d/%d %d]", i * SLICE_NANOS / 1e9, s[0], s[1], s[2], s[3], s[4], peak));
      }
    }
    return out.toString();
  }

  /** The n-th publish request, its content's id {@code prefix + n}. */
  private static LongFunction<byte[]> publish(int port, String prefix) {
    String path = BrokerCalls.messagesPath(TOPIC);
    return n -> NioHttpLoad.request("POST", path, port, TestNodes.ADMIN_TOKEN,
        "{\"sender\":\"alice\",\"messageType\":\"note\",\"content\":{\"id\":\"" + prefix + n + "\"}}");
  }

  /** Every content id in the topic, with how often it occurs, read page by page (bounded). */
  private static Map<String, Integer> storedIds() {
    Map<String, Integer> ids = new HashMap<>();
    long from = 1;
    for (int page = 0; page < 1_000; page++) {
      JsonNode body = BrokerCalls.messages(node.http, TOPIC, "from=" + from + "&limit=1000");
      if (body.get("messages").isEmpty()) {
        return ids;
      }
      for (JsonNode m : body.get("messages")) {
        JsonNode id = m.get("content").get("id");
        if (id != null) {
          ids.merge(id.asText(), 1, Integer::sum);
        }
      }
      from = body.get("nextOffset").asLong();
    }
    throw new AssertionError("the topic does not end within 1,000 pages");
  }

  /** A metric's value as this node's /metrics shows it (not an API request: never refused). */
  private static double metric(String name) {
    for (String line : node.http.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " is not exported");
  }
}
