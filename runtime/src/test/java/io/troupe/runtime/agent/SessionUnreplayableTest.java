package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.journal.Sequenced;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * A running session whose journal can no longer be replayed (here: an event whose serializer
 * manifest names a class that does not exist, as after a bad deploy) is not restarted forever:
 * after max-resume-attempts failed replays on its node it starts without replay and is parked,
 * FAILED_RECOVERY, visible in its view and in the read model, and a cancel ends it. Its reads never
 * fail on the unreadable event.
 */
@TroupeNodeTest(config = {
    // A running session whose entity stopped is woken again by the reviver's next sweep of
    // sessions at least this old (10 s by default).
    "troupe.sessions.revive-interval = 200ms",
    // Event 7 is the SessionParked its incarnation without replay journals: a snapshot would be due there.
    "troupe.sessions.snapshot-every = 7"})
class SessionUnreplayableTest {

  private static final int MAX_RESUME_ATTEMPTS = ResumeSettings.DEFAULT.maxResumeAttempts();
  private static final Principal ADMIN = new Principal("admin", "k-admin", Role.ADMIN);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @FromNode private static NodeFixture fixture;

  @Test
  void aSessionWhoseJournalCannotBeReplayedIsParkedNotRestartedForeverAndCanBeCancelled() throws Exception {
    CompletableFuture<JsonNode> holdGate = new CompletableFuture<>();
    RecordingTool hold = RecordingTool.gated("hold_the_step", holdGate);
    RecordingTool crash = new RecordingTool("crash_the_entity", (ctx, args) -> {
      throw new Error("the step took its entity down");
    });
    fixture.node.tools().register(hold);
    fixture.node.tools().register(crash);
    AgentDefinition definition = new AgentDefinition("a victim of a bad deploy", null, "scripted", "script", 0, 8, 30,
        List.of("hold_the_step", "crash_the_entity"), List.of(), List.of(
            new AgentDefinition.ScriptedReply(null, List.of(new AgentDefinition.ScriptedToolCall("hold_the_step", "{}"))),
            new AgentDefinition.ScriptedReply(null, List.of(new AgentDefinition.ScriptedToolCall("crash_the_entity", "{}"))),
            new AgentDefinition.ScriptedReply("never", List.of())));
    String sessionId = SessionIds.next("unreplayable");
    String persistenceId = "Session|" + sessionId;
    DatabaseTarget db = database();
    Sessions sessions = Sessions.get(fixture.node.system());
    TestProbe<Object> waiter = fixture.testKit.createTestProbe();
    double parkedBefore = parkedCount("unreplayable");

    ClusterSharding.get(fixture.node.system()).entityRefFor(Session.ENTITY_KEY, sessionId)
        .<Session.Started>askWithStatus(r -> new Session.Start("unreplayable", definition, "go", "u-victim", null, r),
            TIMEOUT)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    waiter.awaitAssert(TIMEOUT, () -> {
      assertEquals(1, hold.runs(sessionId + "/call_1_1"));
      // The read model has the model's reply, so its projection is past the event corrupted below.
      assertEquals(1L, TestDatabase.count(db, "SELECT iterations FROM agent_session WHERE session_id = '" + sessionId + "'"));
      return null;
    });

    // A bad deploy: the model's reply (event #2) names a class this node no longer has.
    try (Connection c = TestDatabase.connect(db); PreparedStatement ps = c.prepareStatement(
        "UPDATE event_journal SET event_ser_manifest = 'io.troupe.runtime.agent.Session$NoLongerThere'"
            + " WHERE persistence_id = ? AND sequence_number = 2")) {
      ps.setString(1, persistenceId);
      assertEquals(1, ps.executeUpdate());
    }
    // Its view does not fail on it: shown FAILED_RECOVERY, the unreadable event named.
    SessionView shown = sessions.view(sessionId).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals("FAILED_RECOVERY", shown.status(), shown::toString);
    assertTrue(shown.error().startsWith(Session.FAILED_RECOVERY + ": its journal cannot be replayed (event #2: "),
        shown::error);

    holdGate.complete(SessionTestDoubles.json("{\"held\":true}")); // its next step runs a tool that kills the entity
    waiter.awaitAssert(TIMEOUT, () -> {
      assertEquals(1, crash.runs(sessionId + "/call_2_1"));
      return null;
    });
    long highestBefore = highestSeqNr(db, persistenceId);
    assertEquals(6, highestBefore, "started, reply, tool started and completed, reply, tool started");

    // The reviver wakes it again; each replay fails on event #2; then it starts without replay and parks.
    waiter.awaitAssert(Duration.ofSeconds(30), () -> {
      assertEquals(List.of("SessionParked"), manifestsAfter(db, persistenceId, highestBefore));
      return null;
    });
    assertEquals(highestBefore + 1, highestSeqNr(db, persistenceId),
        "started without replay, it journals after the highest sequence number all the same");
    assertEquals(0, TestDatabase.count(db, "SELECT count(*) FROM snapshot WHERE persistence_id = '" + persistenceId
        + "'"), "started without replay, its own state is empty: no snapshot of it");
    int failedReplays = SessionRecoveryFailures.get(fixture.node.system()).of(sessionId).count();
    assertEquals(MAX_RESUME_ATTEMPTS, failedReplays, "failed replays counted before it was parked");

    SessionView parked = sessions.view(sessionId).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals("FAILED_RECOVERY", parked.status(), parked::toString);
    assertTrue(parked.error().startsWith(Session.FAILED_RECOVERY + ": its journal could not be replayed "
        + failedReplays + " times in a row (last error: "), parked::error);
    assertEquals("unreplayable", parked.agentName());
    assertEquals("u-victim", parked.owner());
    assertEquals(parkedBefore + 1, parkedCount("unreplayable"));
    waiter.awaitAssert(TIMEOUT, () -> {
      assertEquals(List.of(List.of("FAILED_RECOVERY")), TestDatabase.rows(db,
          "SELECT status FROM agent_session WHERE session_id = '" + sessionId + "'"));
      return null;
    });
    Sessions.Journaled journaled = sessions.journaled(sessionId, ADMIN).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(1L, 3L, 4L, 5L, 6L, 7L), journaled.events().stream().map(Sequenced::seqNr).toList(),
        "the readable events; #2 is left out");
    assertTrue(journaled.finished());

    waiter.expectNoMessage(Duration.ofSeconds(1)); // five revive intervals: time to loop, if it did
    assertEquals(highestBefore + 1, highestSeqNr(db, persistenceId), "parked once, not again");
    assertEquals(failedReplays, SessionRecoveryFailures.get(fixture.node.system()).of(sessionId).count(),
        "no more replays: no restart loop");
    assertEquals(1, crash.runs(sessionId + "/call_2_1"), "nothing of it runs");

    SessionView cancelled = sessions.cancel(sessionId, ADMIN).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals("CANCELLED", cancelled.status(), cancelled::toString);
    assertEquals(List.of("SessionParked", "SessionCancelled"), manifestsAfter(db, persistenceId, highestBefore));
    assertEquals("CANCELLED", sessions.view(sessionId).toCompletableFuture().get(10, TimeUnit.SECONDS).status());
    assertEquals("CANCELLED", sessions.cancel(sessionId, ADMIN).toCompletableFuture().get(10, TimeUnit.SECONDS)
        .status(), "cancelled again: answered as it is");
    assertEquals(highestBefore + 2, highestSeqNr(db, persistenceId));
    assertFalse(crash.runs(sessionId + "/call_2_1") > 1);
  }

  private static DatabaseTarget database() {
    Config config = fixture.node.system().settings().config();
    return new DatabaseTarget(config.getString("troupe.db.jdbc-url"), config.getString("troupe.db.user"),
        config.getString("troupe.db.password"));
  }

  private static long highestSeqNr(DatabaseTarget db, String persistenceId) throws Exception {
    return TestDatabase.count(db, "SELECT MAX(sequence_number) FROM event_journal WHERE persistence_id = '"
        + persistenceId + "'");
  }

  /** The short class names of the events journaled after {@code seqNr}, in order. */
  private static List<String> manifestsAfter(DatabaseTarget db, String persistenceId, long seqNr) throws Exception {
    return TestDatabase.rows(db, "SELECT event_ser_manifest FROM event_journal WHERE persistence_id = '"
            + persistenceId + "' AND sequence_number > " + seqNr + " ORDER BY sequence_number").stream()
        .map(row -> row.get(0).substring(row.get(0).lastIndexOf('$') + 1)).toList();
  }

  private static double parkedCount(String agent) {
    Double value = SessionMetrics.get(fixture.node.system()).sessionsParked.labels(agent).get();
    return value == null ? 0 : value;
  }
}
