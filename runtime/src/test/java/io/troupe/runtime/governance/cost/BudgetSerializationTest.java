package io.troupe.runtime.governance.cost;

import io.troupe.runtime.SerializationTestSystem;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every Budget event, command, reply and its (snapshot) state round-trips through Jackson CBOR. */
class BudgetSerializationTest {

  private static final Instant AT = Instant.parse("2026-11-22T10:15:30.123Z");
  private static final ActorTestKit testKit = SerializationTestSystem.start();
  private static final SerializationTestKit serialization = new SerializationTestKit(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyEventAndTheStateRoundTrip() {
    List<Budget.Event> events = List.of(
        new Budget.LimitSet(BudgetPeriod.DAY, 1.5, Map.of(BudgetPeriod.DAY, 0.25, BudgetPeriod.MONTH, 3.0), AT),
        new Budget.LimitSet(BudgetPeriod.WEEK, null, null, AT),
        new Budget.Reserved("agent~1#1", 0.0125, AT),
        new Budget.Settled("agent~1#1", 0.0031, AT),
        new Budget.Expired("agent~2#3", AT));
    BudgetState state = BudgetState.EMPTY;
    for (Budget.Event e : events) {
      serialization.verifySerialization(e, true);
      state = state.apply(e);
    }
    state = state.apply(new Budget.Reserved("agent~3#1", 0.5, AT));
    serialization.verifySerialization(state, true);
  }

  @Test
  void commandsAndRepliesRoundTrip() {
    TestProbe<Object> probe = testKit.createTestProbe();
    serialization.verifySerialization(new Budget.Reserve("s#1", 0.1, probe.getRef().narrow()), true);
    serialization.verifySerialization(new Budget.Settle("s#1", 0.05), true);
    serialization.verifySerialization(new Budget.SetLimit(BudgetPeriod.MONTH, 10.0, Map.of(), probe.getRef().narrow()), true);
    serialization.verifySerialization(new Budget.Verdict("user:u", false, BudgetPeriod.DAY, 1.0, 0.9, 0.05, 0.1), true);
    serialization.verifySerialization(new Budget.BudgetView("user:u", List.of(new Budget.PeriodView(BudgetPeriod.DAY,
        1.0, 0.5, 0.5, AT, AT.plusSeconds(86400))), 1, 0.1), true);
  }
}
