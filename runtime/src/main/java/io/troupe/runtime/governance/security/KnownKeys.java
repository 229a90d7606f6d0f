package io.troupe.runtime.governance.security;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user and key ids ({@code trp.<userId>.<keyId>.…}) this node knows to have been issued, held
 * in memory so that a check costs no lookup. The edge asks it when a client address is throttled
 * for presenting invalid keys: a key whose ids are known is still checked (and served when
 * valid), any other is refused unread, so an attacker who got an address throttled (a shared NAT,
 * a proxy's X-Forwarded-For) cannot lock the real users behind it out, and guessing stays as slow
 * as before. Known are: keys that authenticated on this node, keys issued through it, and the
 * active keys of the {@code api_user} read table, reloaded every
 * {@code troupe.security.known-keys-refresh}. The operator's admin token, which has no ids, is
 * known by its digest once configured or once it authenticated here. Ids are not secrets (the audit log shows key ids);
 * knowing one only earns a real check of the secret. Bounded: when full, the set starts over and
 * refills from the next reload.
 */
public final class KnownKeys implements Extension {

  /** A page of users in id order after {@code after} (the read table's query). */
  @FunctionalInterface
  public interface UserPages {
    CompletionStage<List<ApiUser.UserView>> list(String after, int limit);
  }

  static final int MAX_KEYS = 100_000;
  private static final int PAGE = 500;
  private static final Logger log = LoggerFactory.getLogger(KnownKeys.class);

  private final Set<String> refs = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean reloading = new AtomicBoolean();
  /** SHA-256 of the admin token (any key not in the {@code trp.} shape), once known; else null. */
  private volatile String adminTokenDigest;

  public static KnownKeys get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Whether {@code presented} is shaped like an issued key whose user and key ids are known here. */
  public boolean knows(String presented) {
    var ref = ApiKeys.parse(presented);
    if (ref.isPresent()) {
      return refs.contains(ref(ref.get().userId(), ref.get().keyId()));
    }
    String admin = adminTokenDigest;
    return admin != null && ApiKeys.sameDigest(admin, ApiKeys.digest(presented));
  }

  /** A key that just proved valid on this node. */
  void authenticated(String presented, ApiKeys.KeyRef ref) {
    if (ApiKeys.parse(presented).isPresent()) {
      add(ref.userId(), ref.keyId());
    } else {
      adminTokenDigest = ApiKeys.digest(presented);
    }
  }

  void add(String userId, String keyId) {
    if (refs.size() >= MAX_KEYS) {
      refs.clear();
    }
    refs.add(ref(userId, keyId));
  }

  /** Reloads the active keys of the read table now and then every {@code interval}. */
  public void reloadEvery(ActorSystem<?> system, Duration interval, UserPages users) {
    system.scheduler().scheduleWithFixedDelay(Duration.ZERO, interval, () -> reload(users), system.executionContext());
  }

  /** One reload (skipped while the previous one runs); completes when done. */
  CompletionStage<Void> reload(UserPages users) {
    if (!reloading.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    return page(users, "", new HashSet<>()).handle((found, error) -> {
      reloading.set(false);
      if (error != null) {
        log.debug("known API key ids not reloaded (kept the ones held): {}", error.toString());
      } else {
        found.forEach(r -> {
          if (refs.size() < MAX_KEYS) {
            refs.add(r);
          }
        });
      }
      return null;
    });
  }

  private CompletionStage<Set<String>> page(UserPages users, String after, Set<String> found) {
    return users.list(after, PAGE).thenCompose(page -> {
      for (ApiUser.UserView user : page) {
        user.apiKeys().stream().filter(ApiUser.KeyView::active).forEach(k -> found.add(ref(user.id(), k.keyId())));
      }
      return page.size() < PAGE || found.size() >= MAX_KEYS
          ? CompletableFuture.completedFuture(found)
          : page(users, page.get(page.size() - 1).id(), found);
    });
  }

  private static String ref(String userId, String keyId) {
    return userId + "." + keyId;
  }

  private static final class Id extends ExtensionId<KnownKeys> {
    static final Id INSTANCE = new Id();

    @Override
    public KnownKeys createExtension(ActorSystem<?> system) {
      KnownKeys keys = new KnownKeys();
      String configured = io.troupe.runtime.node.RuntimeSettings.get(system).security().adminToken();
      if (!configured.isEmpty()) {
        keys.adminTokenDigest = ApiKeys.digest(configured);
      }
      return keys;
    }
  }
}
