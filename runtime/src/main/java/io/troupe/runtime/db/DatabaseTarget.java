package io.troupe.runtime.db;

/**
 * Where the node's PostgreSQL is: a JDBC URL and credentials. The password never appears in
 * {@link #toString()}, so a target can be logged.
 */
public record DatabaseTarget(String jdbcUrl, String user, String password) {

  @Override
  public String toString() {
    return "DatabaseTarget[" + jdbcUrl + " as " + user + "]";
  }
}
