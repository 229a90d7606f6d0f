package io.troupe.bench;

import java.time.Duration;

/**
 * The shape of every benchmark's {@code main}: the program ends by itself whatever happens (a
 * watchdog halts the JVM well past the planned duration), exits 0 only when the run completed,
 * and prints what went wrong otherwise.
 */
final class BenchMain {

  /** A benchmark's run. */
  @FunctionalInterface
  interface Run {
    void run() throws Exception;
  }

  private BenchMain() {}

  static void run(Duration limit, Run run) {
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(limit.toMillis());
        System.err.println("benchmark: still running after " + limit.toSeconds() + " s; exiting");
        Runtime.getRuntime().halt(3);
      } catch (InterruptedException e) {
        // done in time
      }
    }, "bench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    int code = 1;
    try {
      run.run();
      code = 0;
    } catch (Throwable t) {
      t.printStackTrace();
    }
    System.out.flush();
    System.exit(code);
  }
}
