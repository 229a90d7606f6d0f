package io.troupe.runtime.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The follower's decision table: deliver, drop a repeat, or fill a gap from the journal. */
class SequencerTest {

  private static Topic.MessagePublished at(long offset) {
    return new Topic.MessagePublished(offset, "s", null, "t", "1", Instant.EPOCH);
  }

  private static List<TopicLog.Step> feed(TopicLog.Sequencer sequencer, long... offsets) throws Exception {
    List<TopicLog.Step> out = new ArrayList<>();
    for (long o : offsets) {
      sequencer.apply(at(o)).forEach(out::add);
    }
    return out;
  }

  @Test
  void deliversInOrderDropsRepeatsAndFillsGaps() throws Exception {
    List<TopicLog.Step> steps = feed(new TopicLog.Sequencer(3), 3, 4, 4, 2, 7, 6, 8);
    assertEquals(List.of(
        new TopicLog.Step(at(3), 0, 0),
        new TopicLog.Step(at(4), 0, 0),
        new TopicLog.Step(null, 5, 7),
        new TopicLog.Step(at(8), 0, 0)), steps);
  }

  @Test
  void withoutAStartTheFirstMessageStartsTheSequence() throws Exception {
    List<TopicLog.Step> steps = feed(new TopicLog.Sequencer(0), 41, 43);
    assertEquals(List.of(new TopicLog.Step(at(41), 0, 0), new TopicLog.Step(null, 42, 43)), steps);
  }
}
