package io.troupe.runtime.journal;

import java.util.List;

/**
 * Decides, in stream order, what each arriving event means for a follower: deliver it, drop it
 * (already delivered), or first read the missing range [fillFrom, fillTo] from the journal. The
 * decision needs nothing but sequence numbers, since every event below an announced one is
 * already committed.
 */
final class Sequencer<E> implements org.apache.pekko.japi.function.Function<Sequenced<E>, Iterable<Sequencer.Step<E>>> {

  /** Deliver {@code item}, or (when {@code fillTo} > 0) read [fillFrom, fillTo] from the journal. */
  record Step<E>(Sequenced<E> item, long fillFrom, long fillTo) {}

  /** The next sequence number to deliver; 0 while unknown (the first event sets it). */
  private long next;

  Sequencer(long next) {
    this.next = next;
  }

  @Override
  public Iterable<Step<E>> apply(Sequenced<E> item) {
    long expected = next;
    if (expected != 0 && item.seqNr() < expected) {
      return List.of();
    }
    next = item.seqNr() + 1;
    if (expected == 0 || item.seqNr() == expected) {
      return List.of(new Step<>(item, 0, 0));
    }
    return List.of(new Step<>(null, expected, item.seqNr()));
  }
}
