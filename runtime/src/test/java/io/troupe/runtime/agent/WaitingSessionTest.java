package io.troupe.runtime.agent;

import static io.troupe.runtime.agent.SessionHarness.services;
import static io.troupe.runtime.agent.SessionTestDoubles.answer;
import static io.troupe.runtime.agent.SessionTestDoubles.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.MovableClock;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingProvider;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * Sessions that wait for a person leave memory (they ask their shard to passivate them after
 * troupe.sessions.passivate-waiting-after) and end their wait at its deadline by the node's clock
 * when they are woken, as the reviver wakes them: an idle conversation after
 * troupe.sessions.idle-timeout (24 h by default), an approval after the agent's approvalTimeout
 * (an hour by default), each in a new incarnation that replayed its journal.
 */
// The harness runs its sessions outside sharding: the reviver must not wake a sharded copy of one.
@TroupeNodeTest(config = {"troupe.sessions.passivate-waiting-after = 300ms", "troupe.sessions.revive-interval = 1h"})
class WaitingSessionTest {

  @FromNode private static MovableClock clock;
  @FromNode private static NodeFixture fixture;

  private static AgentDefinition agent(String provider, List<String> tools, boolean conversational,
                                       List<String> approvals) {
    return new AgentDefinition("a waiter", "You wait.", provider, "test-model", 0.7, 8, 10, tools, List.of(), List.of(),
        conversational, approvals, 0, 0);
  }

  @Test
  void anIdleConversationLeavesMemoryAndEndsAfterTheIdleTimeout() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("idle", answer("hello"));
    SessionHarness session = new SessionHarness(fixture, services(model));
    session.start(agent("idle", List.of(), true, List.of()), "hi");
    session.await("it waits for input", () -> "WAITING_FOR_INPUT".equals(session.view().status()));
    session.shard.expectMessage(Duration.ofSeconds(5), new ClusterSharding.Passivate<>(session.ref()));

    session.restart(); // the incarnation a message or the reviver starts
    session.ref().tell(new Session.Wake()); // before its deadline: nothing ends
    assertEquals("WAITING_FOR_INPUT", session.view().status());
    clock.advance(Duration.ofHours(24).plusSeconds(1));
    session.ref().tell(new Session.Wake());
    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status());
    assertEquals("hello", done.output());
    assertTrue(session.journal().get(session.journal().size() - 1) instanceof Session.SessionCompleted c
        && "idle".equals(c.closed()), "closed for being idle");
  }

  @Test
  void anApprovalNobodyDecidesIsRejectedAtItsTimeoutAndTheToolNeverRuns() throws Exception {
    RecordingProvider model = RecordingProvider.scripted("patient", call("count"), answer("nobody answered"));
    RecordingTool count = RecordingTool.counting("count");
    SessionHarness session = new SessionHarness(fixture, services(model, count));
    session.start(agent("patient", List.of("count"), false, List.of("count")), "count");
    session.await("it awaits approval", () -> "AWAITING_APPROVAL".equals(session.view().status()));
    session.shard.expectMessage(Duration.ofSeconds(5), new ClusterSharding.Passivate<>(session.ref()));

    session.restart();
    clock.advance(Duration.ofHours(1).plusSeconds(1));
    session.ref().tell(new Session.Wake());
    SessionView done = session.awaitFinished();
    assertEquals("COMPLETED", done.status());
    assertEquals("nobody answered", done.output());
    assertEquals("TIMED_OUT", done.approvals().get(0).decision());
    assertTrue(done.toolCalls().get(0).error().contains("reason: timeout"), done::toString);
    assertEquals(0, count.runsByCallId().size(), "a call nobody approved never runs");
  }
}
