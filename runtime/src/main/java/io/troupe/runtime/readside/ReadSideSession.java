package io.troupe.runtime.readside;

import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * One transaction of a projection over a plain JDBC connection: the handler's rows and the
 * projection's offset are written through the same connection and committed together, which is
 * what makes the projection exactly-once. Closing returns the connection to its pool.
 */
public final class ReadSideSession implements JdbcSession {

  private final Connection connection;

  public ReadSideSession(Connection connection) throws SQLException {
    this.connection = connection;
    connection.setAutoCommit(false);
  }

  @Override
  public <R> R withConnection(Function<Connection, R> work) throws Exception {
    return work.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
