package io.troupe.runtime.node;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's clock: every decision that depends on the time of day (event timestamps, budget
 * periods, reservation, lease and allocation expiry, session deadlines, rate-limit refill) reads
 * it, so a test can move time instead of waiting for it. Production runs on the system UTC clock.
 *
 * <p>One per ActorSystem: {@code NodeClock.get(system).clock()}. {@link TroupeNode#start} sets it
 * before any entity starts. Pekko timers still run on real time: where a timer drives an expiry,
 * it is only a wake-up, and what is due is decided by this clock. Durations that are measured
 * (latency metrics, ask timeouts) stay on {@link System#nanoTime()}.
 */
public final class NodeClock implements Extension {

  private volatile Clock clock = Clock.systemUTC();

  private NodeClock() {}

  public static NodeClock get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public Clock clock() {
    return clock;
  }

  /** Uses {@code clock} from now on; set it once, before entities start (they keep what they read). */
  public void use(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The clock's reading in nanoseconds since the epoch, for arithmetic on long nanos (token buckets, leases). */
  public static long epochNanos(Clock clock) {
    Instant now = clock.instant();
    return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
  }

  /** Extension id: one {@link NodeClock} per ActorSystem. */
  public static final class Id extends ExtensionId<NodeClock> {
    private static final Id INSTANCE = new Id();

    @Override
    public NodeClock createExtension(ActorSystem<?> system) {
      return new NodeClock();
    }
  }
}
