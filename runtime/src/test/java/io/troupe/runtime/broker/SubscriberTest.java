package io.troupe.runtime.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;

/** A subscriber's acknowledged position, on a real PostgreSQL journal. */
@TroupeNodeTest
class SubscriberTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  @FromNode private static NodeFixture fixture;

  private static StatusReply<Subscriber.Position> ack(ActorRef<Subscriber.Command> s, long offset, long last) {
    TestProbe<StatusReply<Subscriber.Position>> probe = fixture.testKit.createTestProbe();
    s.tell(new Subscriber.Ack(offset, last, probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  private static Subscriber.Position position(ActorRef<Subscriber.Command> s) {
    TestProbe<Subscriber.Position> probe = fixture.testKit.createTestProbe();
    s.tell(new Subscriber.GetPosition(probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  @Test
  void anUnknownSubscriberStartsBeforeTheFirstOffset() {
    Subscriber.Position p = position(fixture.testKit.spawn(Subscriber.create("orders/new-one")));
    assertEquals("orders", p.topic());
    assertEquals("new-one", p.subscriber());
    assertEquals(0, p.ackedOffset());
    assertEquals(1, p.nextOffset());
  }

  @Test
  void acknowledgementsMoveForwardOnlyAndSurviveRestart() throws Exception {
    ActorRef<Subscriber.Command> s = fixture.testKit.spawn(Subscriber.create("orders/billing"));
    assertEquals(3, ack(s, 3, 10).getValue().ackedOffset());
    assertEquals(7, ack(s, 7, 10).getValue().nextOffset() - 1);
    StatusReply<Subscriber.Position> backwards = ack(s, 2, 10);
    assertTrue(backwards.isSuccess(), "an old ack is harmless");
    assertEquals(7, backwards.getValue().ackedOffset(), "and changes nothing");

    fixture.testKit.stop(s, TIMEOUT);
    Subscriber.Position recovered = position(fixture.testKit.spawn(Subscriber.create("orders/billing")));
    assertEquals(7, recovered.ackedOffset());
    assertEquals(8, recovered.nextOffset());
  }

  @Test
  void anAckPastTheEndOfTheTopicOrBelowZeroIsRefused() {
    ActorRef<Subscriber.Command> s = fixture.testKit.spawn(Subscriber.create("orders/eager"));
    StatusReply<Subscriber.Position> tooFar = ack(s, 11, 10);
    assertTrue(tooFar.isError());
    assertTrue(tooFar.getError().getMessage().contains("past the end"), tooFar.getError().getMessage());
    assertTrue(ack(s, -1, 10).isError());
    assertEquals(0, position(s).ackedOffset(), "nothing was stored");
  }
}
