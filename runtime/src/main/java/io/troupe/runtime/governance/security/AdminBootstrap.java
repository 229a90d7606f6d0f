package io.troupe.runtime.governance.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure an administrator can get in. With {@code TROUPE_ADMIN_TOKEN} set, that token is the
 * admin user's bootstrap key (set again at every start, so changing the variable rotates it).
 * Without it, the first node to create the admin user generates a key, prints it once in its log
 * and writes it to {@code <data-dir>/admin-token}, readable only by the node's user; later starts
 * print nothing.
 */
public final class AdminBootstrap {

  private static final Logger log = LoggerFactory.getLogger(AdminBootstrap.class);
  public static final String TOKEN_FILE = "admin-token";
  static final int MIN_TOKEN_LENGTH = 16;
  private static final int ATTEMPTS = 8;

  private AdminBootstrap() {}

  /** Refuses a configured admin token that is too short to be a secret or looks like a user key. */
  public static void validate(String token) {
    if (token.isEmpty()) {
      return;
    }
    if (token.length() < MIN_TOKEN_LENGTH || token.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("TROUPE_ADMIN_TOKEN must be at least " + MIN_TOKEN_LENGTH
          + " characters without spaces");
    }
    if (ApiKeys.parse(token).isPresent()) {
      throw new IllegalArgumentException("TROUPE_ADMIN_TOKEN must not have the shape of a user key (trp.<user>.<key>.<secret>)");
    }
  }

  /** Runs once this node is Up; bounded retries while the cluster settles. */
  public static void whenUp(ActorSystem<?> system, String token, Path dataDir) {
    validate(token);
    org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system))
        .registerOnMemberUp(() -> {
          boolean configured = !token.isEmpty();
          // One key for every attempt: an attempt that timed out may still have stored it.
          String key = configured ? token : ApiKeys.generate(ApiUser.ADMIN_ID, ApiUser.BOOTSTRAP_KEY_ID);
          ensure(system, key, configured, dataDir, 1);
        });
  }

  private static void ensure(ActorSystem<?> system, String key, boolean configured, Path dataDir, int attempt) {
    ClusterSharding.get(system).entityRefFor(ApiUser.ENTITY_KEY, ApiUser.ADMIN_ID)
        .<ApiUser.AdminEnsured>ask(r -> new ApiUser.EnsureAdmin(ApiKeys.digest(key), configured, r), Duration.ofSeconds(10))
        .whenComplete((ensured, error) -> {
          if (error != null) {
            if (attempt >= ATTEMPTS) {
              log.error("Could not make sure the admin user exists after {} attempts: {}", attempt, error.getMessage());
            } else {
              system.scheduler().scheduleOnce(Duration.ofSeconds(2L * attempt),
                  () -> ensure(system, key, configured, dataDir, attempt + 1), system.executionContext());
            }
            return;
          }
          if (ensured.revoked()) {
            log.error("TROUPE_ADMIN_TOKEN is the bootstrap key an administrator revoked; it stays revoked."
                + " Set a new TROUPE_ADMIN_TOKEN to get a working admin key.");
          } else if (configured) {
            log.info(ensured.created() ? "Created the admin user with the key from TROUPE_ADMIN_TOKEN"
                : ensured.replaced() ? "The admin bootstrap key now is TROUPE_ADMIN_TOKEN (it was another)"
                : "Admin bootstrap key: TROUPE_ADMIN_TOKEN (unchanged)");
          } else if (ensured.created()) {
            announce(key, dataDir);
          }
        });
  }

  private static void announce(String key, Path dataDir) {
    Path file = dataDir.resolve(TOKEN_FILE);
    String where;
    try {
      Files.createDirectories(dataDir);
      Files.deleteIfExists(file);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, key + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      where = "also written to " + file.toAbsolutePath() + " (mode 600)";
    } catch (IOException | UnsupportedOperationException e) {
      where = "could not be written to " + file.toAbsolutePath() + ": " + e.getMessage();
    }
    // The one time a secret is logged, on purpose: the operator needs it to get in at all.
    log.warn("\n==================== TROUPE ADMIN API KEY (shown once) ====================\n{}\n{}\n"
        + "Use it as 'Authorization: Bearer <key>'. Create users and keys with it, then keep it safe.\n"
        + "==========================================================================", key, where);
  }
}
