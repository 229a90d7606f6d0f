package io.troupe.bench;

import io.troupe.runtime.TestDatabase;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.EmbeddedDatabase;
import io.troupe.runtime.db.Schema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A benchmark's database: a fresh database of the external server named by TROUPE_TEST_DB_URL, or
 * else an embedded PostgreSQL in a temporary directory (migrated), removed again on close.
 */
final class BenchDatabase implements AutoCloseable {

  private final DatabaseTarget target;
  private final EmbeddedDatabase embedded;
  private final Path dir;

  private BenchDatabase(DatabaseTarget target, EmbeddedDatabase embedded, Path dir) {
    this.target = target;
    this.embedded = embedded;
    this.dir = dir;
  }

  static BenchDatabase open() throws Exception {
    String external = System.getenv("TROUPE_TEST_DB_URL");
    if (external != null && !external.isBlank()) {
      return new BenchDatabase(TestDatabase.fresh(), null, null);
    }
    Path dir = Files.createTempDirectory("troupe-bench-pg");
    EmbeddedDatabase embedded = EmbeddedDatabase.start(dir, 0);
    Schema.create(embedded.target());
    return new BenchDatabase(embedded.target(), embedded, dir);
  }

  DatabaseTarget target() {
    return target;
  }

  @Override
  public void close() throws IOException {
    if (embedded == null) {
      return;
    }
    embedded.close();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
