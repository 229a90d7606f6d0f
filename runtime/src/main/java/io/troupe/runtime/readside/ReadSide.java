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
 * in the same transaction, and run on exactly one node of the cluster as a sharded daemon process.
 *
 * <p>The read side lags the journal by the read journal's polling interval
 * ({@code jdbc-read-journal.refresh-interval}) plus the group window.
 */
public final class ReadSide {

  private ReadSide() {}

  /** A grouped, exactly-once projection of the events tagged {@code tag}. */
  public static <E> GroupedProjection<Offset, EventEnvelope<E>> projection(
      ActorSystem<?> system, String name, String tag,
      Supplier<JdbcHandler<List<EventEnvelope<E>>, ReadSideSession>> handler) {
    SourceProvider<Offset, EventEnvelope<E>> source =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    var config = system.settings().config().getConfig("troupe.read-side");
    ReadSideDatabase database = ReadSideDatabase.get(system);
    return JdbcProjection.groupedWithin(ProjectionId.of(name, tag), source, database::session, handler, system)
        .withGroup(config.getInt("group-size"), config.getDuration("group-window"))
        .withRestartBackoff(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2);
  }

  /** Runs the projection on one node of the cluster; it moves when that node leaves. */
  public static void run(ActorSystem<?> system, String name,
                         GroupedProjection<Offset, ? extends EventEnvelope<?>> projection) {
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, name, 1,
        i -> ProjectionBehavior.create(projection), ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }
}
