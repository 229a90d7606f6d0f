package io.troupe.bench;

import io.troupe.runtime.broker.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Publishes to many {@link Topic} entities through cluster sharding, in process, as fast as the
 * node acknowledges: several publisher threads share a bounded number of outstanding asks. Only
 * acknowledgements that arrive inside the measured window count.
 */
final class ShardedPublishBenchmark {

  record Result(long acked, long failed, double seconds, String firstFailure) {
    double rate() {
      return acked / seconds;
    }
  }

  static final String TOPIC_PREFIX = "bench-";

  private ShardedPublishBenchmark() {}

  /** A message body of about 250 bytes of JSON, like an agent's observation. */
  static String content(int topic) {
    return "{\"kind\":\"observation\",\"agent\":\"agent-" + topic + "\",\"theater\":\"north-sea\","
        + "\"band\":{\"lowMHz\":2400.0,\"highMHz\":2483.5},\"confidence\":0.87,"
        + "\"text\":\"Interference observed on the shared band near grid 31U-DQ; requesting a re-plan "
        + "of secondary allocations before the next window.\",\"tags\":[\"radar\",\"priority-2\"]}";
  }

  static Result run(ActorSystem<?> system, int topics, int inflight, int publishers,
                    Duration warmup, Duration measure, Duration askTimeout) throws InterruptedException {
    ClusterSharding sharding = ClusterSharding.get(system);
    List<EntityRef<Topic.Command>> refs = new ArrayList<>(topics);
    List<String> bodies = new ArrayList<>(topics);
    for (int i = 0; i < topics; i++) {
      refs.add(sharding.entityRefFor(Topic.ENTITY_KEY, TOPIC_PREFIX + i));
      bodies.add(content(i));
    }
    Semaphore permits = new Semaphore(inflight);
    AtomicLong next = new AtomicLong();
    AtomicLong acked = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicReference<String> firstFailure = new AtomicReference<>();

    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long measureTo = measureFrom + measure.toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      Thread t = new Thread(() -> {
        try {
          while (System.nanoTime() < measureTo) {
            if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
              continue;
            }
            int topic = (int) (next.getAndIncrement() % topics);
            String body = bodies.get(topic);
            refs.get(topic)
                .<Topic.Published>askWithStatus(
                    replyTo -> new Topic.Publish("bench", null, "observation", body, replyTo), askTimeout)
                .whenComplete((published, error) -> {
                  long now = System.nanoTime();
                  boolean inWindow = now >= measureFrom && now < measureTo;
                  if (error != null) {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, error.toString());
                  } else if (inWindow) {
                    acked.incrementAndGet();
                  }
                  permits.release();
                });
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "bench-publisher-" + p);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join(warmup.plus(measure).plusSeconds(30).toMillis());
    }
    // Let the asks still in flight finish (bounded), so the next phase starts on a quiet node.
    if (permits.tryAcquire(inflight, askTimeout.plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
      permits.release(inflight);
    }
    return new Result(acked.get(), failed.get(), measure.toNanos() / 1e9, firstFailure.get());
  }
}
