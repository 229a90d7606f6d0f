package io.troupe.runtime.governance.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.SerializationTestSystem;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every limiter message that crosses nodes round-trips through the configured serializer (Jackson CBOR). */
class RateLimitSerializationTest {

  private static final ActorTestKit testKit = SerializationTestSystem.start();
  private static final ActorSystem<Void> system = testKit.system();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyLimiterMessageRoundTripsAsCbor() {
    SerializationTestKit serialization = new SerializationTestKit(system);
    TestProbe<RateLimiter.Leased> probe = testKit.createTestProbe();
    List<Object> messages = List.of(
        new RateLimiter.Lease(10, probe.getRef()),
        new RateLimiter.Release(3),
        new RateLimiter.Leased(4, 12_345, "600 per 1 hour"),
        new RateLimiter.Leased(10, 0, ""));
    for (Object message : messages) {
      assertEquals("JacksonCborSerializer",
          SerializationExtension.get(system.classicSystem()).findSerializerFor(message).getClass().getSimpleName());
      serialization.verifySerialization(message, true);
    }
  }
}
