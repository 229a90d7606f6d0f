package io.troupe.runtime.readside;

import com.typesafe.config.Config;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * How tagged events are spread over the read side: an entity whose events a projection reads
 * tags each of them {@code <tag>-<slice>}, its slice being a stable hash of its persistence id
 * modulo {@code troupe.read-side.slices} (N). Each projection runs N instances, instance i
 * reading {@code <tag>-i}, so projection work spreads over the cluster, and all events of one
 * entity stay in one slice, in order.
 *
 * <p>The hash is {@link String#hashCode()}, whose value the Java language specification fixes
 * (s[0]*31^(n-1) + ... + s[n-1]), so every node and every JVM version agrees on an entity's
 * slice. Changing N changes the slice of most entities; the retag migration
 * ({@code RetagEventsBySlice}) moves stored events and projection offsets to the new slices.
 */
public final class Slices {

  /** The number of slices, N; every node of a cluster must use the same. */
  public static final String CONFIG_PATH = "troupe.read-side.slices";
  /** The most slices allowed: each is one projection instance per projection in the cluster. */
  public static final int MAX = 1024;

  private Slices() {}

  /** Reads and checks N (the settings records and the node's start call this; others ask the system). */
  public static int count(Config config) {
    int slices = config.getInt(CONFIG_PATH);
    if (slices < 1 || slices > MAX) {
      throw new IllegalArgumentException(CONFIG_PATH + " must be between 1 and " + MAX + ", not " + slices);
    }
    return slices;
  }

  /** The system's N, as read once at start ({@link ReadSideSettings}). */
  public static int count(ActorSystem<?> system) {
    return io.troupe.runtime.node.RuntimeSettings.get(system).readSide().slices();
  }

  /** The slice of an entity, in 0..slices-1. */
  public static int of(String persistenceId, int slices) {
    return Math.abs(persistenceId.hashCode() % slices);
  }

  /** The tag of every event of the entity {@code persistenceId}. */
  public static String tag(String baseTag, String persistenceId, int slices) {
    return sliceTag(baseTag, of(persistenceId, slices));
  }

  public static String sliceTag(String baseTag, int slice) {
    return baseTag + "-" + slice;
  }

  /** The tags of all slices, {@code <tag>-0 .. <tag>-(slices-1)}. */
  public static List<String> tags(String baseTag, int slices) {
    return IntStream.range(0, slices).mapToObj(i -> sliceTag(baseTag, i)).toList();
  }
}
