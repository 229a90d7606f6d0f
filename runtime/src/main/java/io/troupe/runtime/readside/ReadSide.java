package io.troupe.runtime.readside;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * What every read-side projection shares: events of one tag from the JDBC read journal, applied
 * in groups (one transaction per group of up to {@code troupe.read-side.group-size} events, or
 * what arrived within {@code group-window}: one commit per event is slow) with the offset stored
 * in the same transaction.
 *
 * <p>A projection runs as {@code troupe.read-side.slices} (N) instances, a sharded daemon process
 * that spreads them over the cluster's nodes (and moves them when a node leaves): instance i
 * reads the events tagged {@code <tag>-i} (see {@link Slices}) and keeps its offset under the
 * projection id {@code (name, <tag>-i)}.
 *
 * <p>The read side lags the journal by the read journal's polling interval
 * ({@code jdbc-read-journal.refresh-interval}) plus the group window.
 */
public final class ReadSide {

  private ReadSide() {}

  /**
   * Runs the projection {@code name} of the events tagged {@code baseTag}: one instance per
   * slice, each with its own handler from {@code handler}.
   */
  public static <E> void init(ActorSystem<?> system, String name, String baseTag,
                              Supplier<JdbcHandler<List<EventEnvelope<E>>, ReadSideSession>> handler) {
    List<GroupedProjection<Offset, EventEnvelope<E>>> slices = Slices.tags(baseTag, Slices.count(system)).stream()
        .map(tag -> ReadSide.<E>projection(system, name, tag, handler))
        .toList();
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, name, slices.size(),
        i -> ProjectionBehavior.create(slices.get(i)), ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  /** A grouped, exactly-once projection of the events tagged {@code tag}, offsets kept as (name, tag). */
  static <E> GroupedProjection<Offset, EventEnvelope<E>> projection(
      ActorSystem<?> system, String name, String tag,
      Supplier<JdbcHandler<List<EventEnvelope<E>>, ReadSideSession>> handler) {
    SourceProvider<Offset, EventEnvelope<E>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    ReadSideSettings settings = io.troupe.runtime.node.RuntimeSettings.get(system).readSide();
    ReadSideDatabase database = ReadSideDatabase.get(system);
    return JdbcProjection.groupedWithin(ProjectionId.of(name, tag), source, database::session, handler, system)
        .withGroup(settings.groupSize(), settings.groupWindow())
        .withRestartBackoff(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2);
  }
}
