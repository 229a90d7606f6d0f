package io.troupe.runtime.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.runtime.SerializationTestSystem;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every broker command, reply, event and snapshot round-trips through the configured serializer
 * (Jackson CBOR), and an event as stored by an earlier version still reads back.
 */
class BrokerSerializationTest {

  private static final ActorTestKit testKit = SerializationTestSystem.start();
  private static final SerializationTestKit serialization = new SerializationTestKit(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyBrokerMessageRoundTrips() {
    TestProbe<Object> probe = testKit.createTestProbe();
    Instant at = Instant.parse("2026-11-22T10:15:30.123Z");
    List<Object> messages = List.of(
        new Topic.Publish("s", "r", "t", "{\"a\":[1,2]}", probe.getRef().unsafeUpcast()),
        new Topic.Publish("s", null, "t", "null", probe.getRef().unsafeUpcast()),
        new Topic.GetInfo(probe.getRef().unsafeUpcast()),
        new Topic.Published("orders", 7, at),
        new Topic.Published("orders", 7, null, true),
        new Topic.Publish("s", null, "t", "1", "key", probe.getRef().unsafeUpcast()),
        new Topic.MessagePublished(9, "s", null, "t", "1", at, "tool:abc/call_1"),
        new Topic.State(9, new java.util.LinkedHashMap<>(java.util.Map.of("tool:abc/call_1", 9L))),
        new Topic.Info("orders", 7),
        new Topic.MessagePublished(7, "s", "r", "t", "{\"a\":1}", at),
        new Topic.MessagePublished(8, "s", null, "t", "\"text\"", at),
        new Topic.State(7, null),
        new Subscriber.Ack(3, 7, probe.getRef().unsafeUpcast()),
        new Subscriber.GetPosition(probe.getRef().unsafeUpcast()),
        new Subscriber.Ack(3, 7, "u-1", false, probe.getRef().unsafeUpcast()),
        new Subscriber.Position("orders", "billing", 3, 4, at, "u-1"),
        new Subscriber.Position("orders", "billing", 0, 1, null, null),
        new Subscriber.OffsetAcked(3, at),
        new Subscriber.OffsetAcked(3, at, "u-1"),
        new Subscriber.State(3, at, "u-1"),
        new Subscriber.State(0, null, null));
    for (Object message : messages) {
      serialization.verifySerialization(message, true);
    }
  }

  /**
   * Bytes of a MessagePublished as this version stores it. If this test fails, a change made
   * stored events unreadable: add fields as optional instead of renaming or removing them.
   */
  @Test
  void aStoredMessagePublishedEventStaysReadable() throws Exception {
    String manifest = "io.troupe.runtime.broker.Topic$MessagePublished";
    byte[] stored = Base64.getDecoder().decode(STORED_MESSAGE_PUBLISHED);
    Serialization ser = SerializationExtension.get(testKit.system().classicSystem());
    int serializerId = ser.serializerFor(Topic.MessagePublished.class).identifier();
    Object event = ser.deserialize(stored, serializerId, manifest).get();
    assertEquals(new Topic.MessagePublished(7, "s", "r", "t", "{\"a\":1}", Instant.parse("2026-11-22T10:15:30.123Z")), event);
  }

  @Test
  void brokerEventsAreBoundToJacksonCbor() throws Exception {
    Serialization ser = SerializationExtension.get(testKit.system().classicSystem());
    var event = new Topic.MessagePublished(7, "s", "r", "t", "{\"a\":1}", Instant.parse("2026-11-22T10:15:30.123Z"));
    assertEquals("JacksonCborSerializer", ser.findSerializerFor(event).getClass().getSimpleName());
    assertEquals("io.troupe.runtime.broker.Topic$MessagePublished", Serializers.manifestFor(ser.findSerializerFor(event), event));
  }

  /** Base64 of MessagePublished(7, "s", "r", "t", {"a":1}, 2026-11-22T10:15:30.123Z) as serialized by version 0.1.0. */
  private static final String STORED_MESSAGE_PUBLISHED = "v2ZvZmZzZXQHZnNlbmRlcmFzaXJlY2lwaWVudGFya21lc3NhZ2VUeXBlYXRrY29udGVudEpzb25neyJhIjoxfWtwdWJsaXNoZWRBdHgYMjAyNi0xMS0yMlQxMDoxNTozMC4xMjNa/w==";
}
