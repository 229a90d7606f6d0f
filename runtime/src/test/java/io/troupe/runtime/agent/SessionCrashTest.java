package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.SessionTestDoubles.RecordingTool;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * A sharded session whose entity crashes in its step is brought back by the cluster's
 * {@link SessionReviver} (sessions are not remembered entities): resumed, it crashes again, and
 * after max-resume-attempts resumes it is parked for good, not restarted in a loop.
 */
@TroupeNodeTest(config = {
    // The reviver wakes running sessions at least this old every this often (10 s by default).
    "troupe.sessions.revive-interval = 200ms"})
class SessionCrashTest {

  private static final int MAX_RESUME_ATTEMPTS = ResumeSettings.DEFAULT.maxResumeAttempts();
  private static final Principal ADMIN = new Principal("admin", "k-admin", Role.ADMIN);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @FromNode private static NodeFixture fixture;

  /**
   * A tool that throws an Error on the entity's thread (as a step that exhausts the heap would)
   * takes the entity down in the middle of its step, every time; the reviver wakes it again, and
   * after max-resume-attempts resumes it is parked instead, for good.
   */
  @Test
  void aShardedSessionWhoseStepCrashesItsEntityEveryTimeEndsParkedNotInARestartLoop() throws Exception {
    RecordingTool crash = new RecordingTool("crash_the_step", (ctx, args) -> {
      throw new Error("the step took its entity down");
    });
    fixture.node.tools().register(crash);
    AgentDefinition definition = new AgentDefinition("a crasher", null, "scripted", "script", 0, 8, 30,
        List.of("crash_the_step"), List.of(), List.of(
            new AgentDefinition.ScriptedReply(null, List.of(new AgentDefinition.ScriptedToolCall("crash_the_step", "{}"))),
            new AgentDefinition.ScriptedReply("never", List.of())));
    String sessionId = SessionIds.next("crasher");
    String callId = sessionId + "/call_1_1";

    ClusterSharding.get(fixture.node.system()).entityRefFor(Session.ENTITY_KEY, sessionId)
        .<Session.Started>askWithStatus(r -> new Session.Start("crasher", definition, "go", "u-crash", null, r), TIMEOUT)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);

    Sessions sessions = Sessions.get(fixture.node.system());
    TestProbe<Object> waiter = fixture.testKit.createTestProbe();
    SessionView parked = waiter.awaitAssert(Duration.ofSeconds(30), () -> {
      SessionView v = sessions.view(sessionId).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertEquals("FAILED_RECOVERY", v.status(), v::toString);
      return v;
    });
    assertEquals(1 + MAX_RESUME_ATTEMPTS, crash.runs(callId), "the first run and one per resume");
    assertTrue(parked.error().startsWith(Session.FAILED_RECOVERY), parked::error);
    waiter.expectNoMessage(Duration.ofSeconds(1)); // five revive intervals: time to loop, if it did
    assertEquals(1 + MAX_RESUME_ATTEMPTS, crash.runs(callId), "no restart loop");

    SessionView cancelled = sessions.cancel(sessionId, ADMIN).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals("CANCELLED", cancelled.status());
    assertEquals(1 + MAX_RESUME_ATTEMPTS, crash.runs(callId));
  }

}
