package io.troupe.runtime.db;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Runs the embedded PostgreSQL on its own, for a local cluster whose node processes share it:
 * {@code java -cp troupe.jar io.troupe.runtime.db.EmbeddedDatabaseMain}. Data under
 * TROUPE_DATA_DIR (default ./data), port TROUPE_EMBEDDED_DB_PORT (default 5433), loopback only.
 * Prints the line {@code READY jdbc:postgresql://...} once it accepts connections, and stops on
 * SIGTERM or SIGINT.
 */
public final class EmbeddedDatabaseMain {

  private EmbeddedDatabaseMain() {}

  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(env("TROUPE_DATA_DIR", "./data"));
    int port = Integer.parseInt(env("TROUPE_EMBEDDED_DB_PORT", "5433"));
    EmbeddedDatabase db = EmbeddedDatabase.start(dataDir, port);
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> stop.countDown());
    Signal.handle(new Signal("INT"), s -> stop.countDown());
    System.out.println("READY " + db.target().jdbcUrl());
    System.out.flush();
    stop.await();
    db.close();
    System.out.println("STOPPED");
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
