package io.troupe.runtime.readside;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The read side's own small connection pool, one per node, shared by its projections: separate
 * from the journal's and the query pool, so projections never starve health checks or analytics
 * queries. Its size is {@code troupe.read-side.pool-size}, which is also the size of Pekko
 * Projection's blocking JDBC dispatcher (projection.conf): one thread per connection.
 */
public final class ReadSideDatabase implements Extension {

  private static final ExtensionId<ReadSideDatabase> ID = new ExtensionId<>() {
    @Override
    public ReadSideDatabase createExtension(ActorSystem<?> system) {
      return new ReadSideDatabase(system);
    }
  };

  private final HikariDataSource pool;

  private ReadSideDatabase(ActorSystem<?> system) {
    var settings = io.troupe.runtime.node.RuntimeSettings.get(system);
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(settings.journalDatabase().jdbcUrl());
    hikari.setUsername(settings.journalDatabase().user());
    hikari.setPassword(settings.journalDatabase().password());
    hikari.setMaximumPoolSize(settings.readSide().poolSize());
    hikari.setMinimumIdle(1);
    hikari.setPoolName("troupe-read-side");
    hikari.setAutoCommit(false);
    // Start even if the database is briefly unavailable; projections restart with backoff.
    hikari.setInitializationFailTimeout(-1);
    this.pool = new HikariDataSource(hikari);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "close-read-side-pool", () -> {
          pool.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }

  public static ReadSideDatabase get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  /** A new transaction on a pooled connection; the projection closes it. */
  public ReadSideSession session() {
    try {
      return new ReadSideSession(pool.getConnection());
    } catch (SQLException e) {
      throw new IllegalStateException("no read-side database connection: " + e.getMessage(), e);
    }
  }
}
