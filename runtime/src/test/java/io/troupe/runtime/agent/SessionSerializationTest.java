package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.SerializationTestSystem;
import io.troupe.runtime.agent.SessionState.ToolCallRecord;
import io.troupe.runtime.llm.ChatMessage;
import io.troupe.runtime.llm.LlmResponse;
import io.troupe.runtime.llm.ToolCall;
import io.troupe.runtime.llm.Usage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every Session command (internal ones too), reply, event, live announcement and its state
 * round-trips through the configured serializer (Jackson CBOR).
 */
class SessionSerializationTest {

  private static final Instant AT = Instant.parse("2026-11-22T10:15:30.123Z");
  private static final AgentDefinition DEFINITION = new AgentDefinition("a scout", "You scout.", "scripted",
      "gpt-test", 0.0, 8, 30, List.of("count", "call_agent"), List.of("orders"),
      List.of(new AgentDefinition.ScriptedReply("hi", List.of(new AgentDefinition.ScriptedToolCall("count", "{\"n\":1}"))),
          new AgentDefinition.ScriptedReply(null, null)));
  private static final ToolCall CALL = new ToolCall("call_1_1", "count", "{\"n\":1}");
  private static final LlmResponse RESPONSE = new LlmResponse("thinking", List.of(CALL), new Usage(12, 3), "tool_calls");

  private static final ActorTestKit testKit = SerializationTestSystem.start();
  private static final SerializationTestKit serialization = new SerializationTestKit(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static List<Session.Event> events() {
    return List.of(
        new Session.SessionStarted("scout", DEFINITION, "find it", "user-1", AT, null),
        new Session.SessionStarted("scout", DEFINITION, "find it", null, AT, null),
        new Session.LlmResponded(1, "thinking", List.of(CALL), new Usage(12, 3), false, true, 250, AT),
        new Session.LlmResponded(2, "", List.of(), Usage.NONE, true, true, 0, AT),
        new Session.ToolCallStarted("call_1_1", "count", "{\"n\":1}", AT),
        new Session.ToolCallCompleted("call_1_1", "count", true, "{\"echo\":1}", null, 17, AT),
        new Session.ToolCallCompleted("call_1_1", "count", false, null, "boom", 17, AT),
        new Session.SessionCompleted("found it", AT),
        new Session.SessionFailed(true, "the session exceeded its maximum duration of 900 s", AT),
        new Session.SessionFailed(false, "model call failed: x", AT),
        new Session.SessionCancelled(AT),
        new Session.SessionResumed(2, AT),
        new Session.SessionParked(3, Session.FAILED_RECOVERY + ": resumed 3 times in a row", AT));
  }

  @Test
  void everySessionEventRoundTrips() {
    for (Session.Event event : events()) {
      serialization.verifySerialization(event, true);
    }
  }

  @Test
  void everySessionCommandAndReplyRoundTrips() {
    TestProbe<Object> probe = testKit.createTestProbe();
    SessionState state = running();
    List<Object> messages = List.of(
        new Session.Start("scout", DEFINITION, "find it", "user-1", null, probe.getRef().unsafeUpcast()),
        new Session.Get(probe.getRef().unsafeUpcast()),
        new Session.Cancel(probe.getRef().unsafeUpcast()),
        new Session.Step(),
        new Session.LlmDone(1, RESPONSE, false, true, 250, null),
        new Session.LlmDone(2, new LlmResponse("done", List.of(), Usage.NONE, "stop"), true, true, 0, null),
        new Session.LlmDone(3, null, false, false, 40, "flaky answered HTTP 503: overloaded"),
        new Session.BudgetChecked(1, List.of(new io.troupe.runtime.governance.cost.Budget.Verdict("user:u", false,
            io.troupe.runtime.governance.cost.BudgetPeriod.DAY, 1.0, 0.99, 0.0, 0.02)), null),
        new Session.BudgetChecked(2, null, "timed out"),
        new Session.ToolDone("call_1_1", true, "{\"echo\":1}", null, 17),
        new Session.ToolDone("call_1_1", false, null, "boom", 17),
        new Session.Deadline(),
        new Session.Idle(),
        new Session.Resume(),
        new Session.ResumeAdmitted(),
        new Session.ResumeDeferred(),
        new Session.Started("scout~1764000000000-0123abcd", false),
        SessionView.of("scout~1764000000000-0123abcd", state),
        SessionView.of("scout~1764000000000-0123abcd", SessionState.EMPTY));
    for (Object message : messages) {
      serialization.verifySerialization(message, true);
    }
  }

  @Test
  void liveAnnouncementsRoundTripWithEveryKindOfEvent() {
    List<Session.Announced> announced = new ArrayList<>();
    long seqNr = 1;
    for (Session.Event event : events()) {
      announced.add(new Session.Announced(seqNr++, event, null));
    }
    announced.add(new Session.Announced(0, null, "tok"));
    for (Session.Announced a : announced) {
      serialization.verifySerialization(a, true);
    }
  }

  @Test
  void sessionStateRoundTripsAtEveryStep() {
    serialization.verifySerialization(SessionState.EMPTY, true);
    serialization.verifySerialization(SessionState.EMPTY.apply(events().get(0)), true);
    serialization.verifySerialization(running(), true);
    serialization.verifySerialization(running().apply(new Session.ToolCallCompleted("call_1_2", "count", true, "{}",
        null, 5, AT)), true);
    serialization.verifySerialization(running().apply(new Session.SessionCompleted("found it", AT)), true);
    serialization.verifySerialization(running().apply(new Session.SessionCancelled(AT)), true);
    serialization.verifySerialization(running().apply(new Session.SessionResumed(1, AT)), true);
    serialization.verifySerialization(running().apply(new Session.SessionParked(3, "parked", AT)), true);
  }

  @Test
  void theCommandsCarryingAModelResponseKeepItIntact() {
    Serialization ser = SerializationExtension.get(testKit.system().classicSystem());
    Session.LlmDone done = new Session.LlmDone(1, RESPONSE, false, true, 250, null);
    byte[] bytes = ser.serialize(done).get();
    Session.LlmDone back = (Session.LlmDone) ser.deserialize(bytes, Session.LlmDone.class).get();
    assertEquals(RESPONSE, back.response());
    assertEquals(List.of(CALL), back.response().toolCalls());
  }

  /** A session mid-loop: a model reply with two tool calls, the first completed, the second started. */
  private static SessionState running() {
    ToolCall second = new ToolCall("call_1_2", "count", "{\"n\":2}");
    SessionState s = SessionState.EMPTY
        .apply(new Session.SessionStarted("scout", DEFINITION, "find it", "user-1", AT, null))
        .apply(new Session.LlmResponded(1, "thinking", List.of(CALL, second), new Usage(12, 3), false, true, 250, AT))
        .apply(new Session.ToolCallStarted("call_1_1", "count", "{\"n\":1}", AT))
        .apply(new Session.ToolCallCompleted("call_1_1", "count", false, null, "bad \"n\"\n", 17, AT))
        .apply(new Session.ToolCallStarted("call_1_2", "count", "{\"n\":2}", AT));
    assertEquals(List.of(second), s.pending());
    assertEquals(ChatMessage.tool("call_1_1", "count", "{\"error\":\"bad \\\"n\\\"\\n\"}"), s.conversation().get(3));
    return s;
  }
}
