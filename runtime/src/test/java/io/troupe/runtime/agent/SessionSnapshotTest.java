package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.journal.Sequenced;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;

/**
 * A long session snapshots its state every troupe.sessions.snapshot-every events (10 here), and
 * its entity starts again from its latest snapshot and the events after it, not from its whole
 * journal: what it answers then is what folding the whole journal gives, and a session recovered
 * in the middle of a tool call goes on exactly as one replayed from its first event would.
 */
@TroupeNodeTest(config = {
    "troupe.sessions.snapshot-every = 10",
    // Unsharded sessions (SessionHarness): the reviver must not wake sharded twins of them.
    "troupe.sessions.revive-interval = 1h"})
class SessionSnapshotTest {

  @FromNode private static NodeFixture fixture;

  /** A scripted agent: {@code replies} replies each calling {@code tool} once, then "done". */
  private static AgentDefinition agent(String tool, int replies) {
    List<AgentDefinition.ScriptedReply> script = new ArrayList<>();
    for (int i = 1; i <= replies; i++) {
      script.add(new AgentDefinition.ScriptedReply("step " + i,
          List.of(new AgentDefinition.ScriptedToolCall(tool, "{\"n\":" + i + "}"))));
    }
    script.add(new AgentDefinition.ScriptedReply("done", List.of()));
    return new AgentDefinition("a long runner", "You take many steps.", "scripted", "script", 0, replies + 1, 10,
        List.of(tool), List.of(), script);
  }

  @Test
  void aLongSessionRecoversFromItsLatestSnapshotAndTheEventsAfterIt() throws Exception {
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(List.of(), List.of(count), Duration.ofMinutes(5)));
    session.start(agent("count", 30), "go");
    session.awaitFinished();
    // SessionStarted, 30 × (LlmResponded, ToolCallStarted, ToolCallCompleted), LlmResponded, SessionCompleted.
    assertEquals(93, session.journal().size());
    session.await("the snapshots at 80 and 90 (the latest 2 kept)",
        () -> snapshots(session).equals(List.of(80L, 90L)));

    session.restart();
    assertEquals(view(session, folded(session)), session.view(), "recovered as the whole journal folds");

    // The snapshot is what recovery starts from: one that says otherwise than the events before it
    // shows through, and the 3 events after it are applied on top.
    List<Sequenced<Session.Event>> events = SessionJournal.read(fixture.node.system(), persistenceId(session))
        .toCompletableFuture().get(10, TimeUnit.SECONDS).events();
    Session.SessionStarted started = (Session.SessionStarted) events.get(0).event();
    Session.SessionStarted altered = new Session.SessionStarted(started.agentName(), started.definition(),
        "as the snapshot has it", started.userId(), started.startedAt(), started.chain());
    SessionState whole = SessionState.EMPTY.apply(altered);
    SessionState upTo90 = null;
    for (Sequenced<Session.Event> e : events.subList(1, events.size())) {
      whole = whole.apply(e.event());
      if (e.seqNr() == 90) {
        upTo90 = whole;
      }
    }
    overwriteSnapshot(session, 90, upTo90);
    session.restart();
    SessionView recovered = session.view();
    assertEquals("as the snapshot has it", recovered.input(), "recovered from the snapshot, not from event 1");
    assertEquals(view(session, whole), recovered, "the snapshot and the 3 events after it");
  }

  @Test
  void aSessionRecoveredFromASnapshotInTheMiddleOfAToolCallGoesOn() throws Exception {
    CompletableFuture<JsonNode> gate = new CompletableFuture<>();
    AtomicBoolean held = new AtomicBoolean();
    // The 20th call waits (the first time it runs) until the test lets it answer; every other answers at once.
    RecordingTool work = new RecordingTool("work", (ctx, args) ->
        ctx.callId().endsWith("/call_20_1") && held.compareAndSet(false, true)
            ? gate : CompletableFuture.completedFuture(json("{\"done\":" + args + "}")));
    SessionHarness session = new SessionHarness(fixture, services(List.of(), List.of(work), Duration.ofMinutes(5)));
    session.start(agent("work", 25), "go");
    String held20 = session.callId("call_20_1");
    session.await("the 20th call to start", () -> work.runs(held20) == 1);
    // Event 60 is that call's ToolCallStarted: the latest snapshot is the state with it in flight.
    session.await("the snapshot at 60", () -> snapshots(session).equals(List.of(50L, 60L)));
    assertEquals(60, session.journal().size());

    session.restart(); // its node died: it starts again from the snapshot, the call in flight
    session.await("the 20th call to run again", () -> work.runs(held20) == 2);
    gate.complete(json("{\"done\":\"late\"}")); // the first run's answer goes nowhere
    SessionView done = session.awaitFinished();

    assertEquals("COMPLETED", done.status(), done::toString);
    assertEquals("done", done.output());
    assertEquals(26, done.iterations());
    assertEquals(25, done.toolCallCount());
    Map<String, Integer> runs = new TreeMap<>();
    for (int i = 1; i <= 25; i++) {
      runs.put(session.callId("call_" + i + "_1"), i == 20 ? 2 : 1);
    }
    assertEquals(runs, work.runsByCallId(), "the call in flight ran again with its id; no completed one ran again");
    List<String> types = session.journalTypes();
    assertEquals("SessionResumed", types.get(60), "resumed after event 60: " + types);
    assertEquals(List.of("ToolCallCompleted", "LlmResponded"), types.subList(61, 63));
    assertEquals(1 + 25 * 3 + 1 + 2, types.size());

    session.restart();
    assertEquals(view(session, folded(session)), session.view(),
        "started again from its latest snapshot: as the whole journal folds");
  }

  private static String persistenceId(SessionHarness session) {
    return PersistenceId.of(Session.ENTITY_KEY.name(), session.sessionId).id();
  }

  /** The session as folding its whole journal gives it (as its views read it). */
  private static SessionState folded(SessionHarness session) throws Exception {
    return SessionJournal.read(fixture.node.system(), persistenceId(session)).toCompletableFuture()
        .get(10, TimeUnit.SECONDS).state();
  }

  /** The entity's Get reply for {@code state}: finished sessions' views do not depend on the clock. */
  private static SessionView view(SessionHarness session, SessionState state) {
    assertTrue(state.status().finished(), state::toString);
    return SessionView.of(session.sessionId, state, java.time.Instant.now());
  }

  /** The sequence numbers of the session's stored snapshots, in order. */
  private static List<Long> snapshots(SessionHarness session) {
    try {
      return fixture.node.database().query(c -> {
        try (PreparedStatement s = c.prepareStatement(
            "SELECT sequence_number FROM snapshot WHERE persistence_id = ? ORDER BY sequence_number")) {
          s.setString(1, persistenceId(session));
          List<Long> seqNrs = new ArrayList<>();
          try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
              seqNrs.add(rs.getLong(1));
            }
          }
          return seqNrs;
        }
      }).toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stores {@code state} as the snapshot at {@code seqNr}, serialized as Pekko stores snapshots. */
  private static void overwriteSnapshot(SessionHarness session, long seqNr, SessionState state) throws Exception {
    byte[] bytes = SerializationExtension.get(fixture.node.system().classicSystem()).serialize(state).get();
    int updated = fixture.node.database().query(c -> {
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE snapshot SET snapshot_payload = ? WHERE persistence_id = ? AND sequence_number = ?")) {
        s.setBytes(1, bytes);
        s.setString(2, persistenceId(session));
        s.setLong(3, seqNr);
        return s.executeUpdate();
      }
    }).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(1, updated);
  }
}
