package io.troupe.runtime.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The follower's decision table: deliver, drop a repeat, or fill a gap from the journal. */
class SequencerTest {

  private static Sequenced<String> at(long seqNr) {
    return new Sequenced<>(seqNr, "e" + seqNr);
  }

  private static List<Sequencer.Step<String>> feed(Sequencer<String> sequencer, long... seqNrs) throws Exception {
    List<Sequencer.Step<String>> out = new ArrayList<>();
    for (long s : seqNrs) {
      sequencer.apply(at(s)).forEach(out::add);
    }
    return out;
  }

  @Test
  void deliversInOrderDropsRepeatsAndFillsGaps() throws Exception {
    List<Sequencer.Step<String>> steps = feed(new Sequencer<>(3), 3, 4, 4, 2, 7, 6, 8);
    assertEquals(List.of(
        new Sequencer.Step<>(at(3), 0, 0),
        new Sequencer.Step<>(at(4), 0, 0),
        new Sequencer.Step<String>(null, 5, 7),
        new Sequencer.Step<>(at(8), 0, 0)), steps);
  }

  @Test
  void withoutAStartTheFirstEventStartsTheSequence() throws Exception {
    List<Sequencer.Step<String>> steps = feed(new Sequencer<>(0), 41, 43);
    assertEquals(List.of(new Sequencer.Step<>(at(41), 0, 0), new Sequencer.Step<String>(null, 42, 43)), steps);
  }
}
