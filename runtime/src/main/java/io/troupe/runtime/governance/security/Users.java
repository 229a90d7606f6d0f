package io.troupe.runtime.governance.security;

import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.service.Refused;
import io.troupe.runtime.service.RetryingAsk;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The one way into API users and their keys, for every door: create a user, read one, change its
 * role, issue and revoke keys. Ids and key secrets are made here; a change that takes rights away
 * is dropped from this node's credential cache at once (the entity announces it to the others).
 * Lists come from the {@code api_user} read table ({@link io.troupe.runtime.readside.UserQueries}).
 */
public final class Users implements Extension {

  /** A key just issued: {@code apiKey} is its secret, which exists nowhere else and is shown once. */
  public record IssuedKey(String userId, String keyId, String label, Instant createdAt, String apiKey) {}

  private final ClusterSharding sharding;
  private final RetryingAsk asks;
  private final Authenticator authenticator;
  private final KnownKeys knownKeys;
  private final java.time.Duration askTimeout;

  public static Users get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  Users(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    var ask = io.troupe.runtime.node.RuntimeSettings.get(system).ask();
    this.askTimeout = ask.timeout();
    this.asks = ask.retrying();
    this.authenticator = Authenticator.get(system);
    this.knownKeys = KnownKeys.get(system);
  }

  /** A new user with a generated id. */
  public CompletionStage<ApiUser.UserView> create(String name, Role role) {
    String id = ApiKeys.newId("u-");
    return asks.askWithStatus(user(id), r -> new ApiUser.Create(name, role, r));
  }

  /** The user, or a not-found refusal. */
  public CompletionStage<ApiUser.UserView> get(String id) {
    return asks.<ApiUser.Command, ApiUser.UserLookup>ask(user(id), ApiUser.Get::new).thenApply(lookup -> {
      if (lookup.user() == null) {
        throw Refused.notFound("no user " + id);
      }
      return lookup.user();
    });
  }

  /**
   * The rights of a user who acts without presenting a key (a session's owner, for its tool
   * calls): their id and current role, no key. A user that does not exist (e.g. the anonymous
   * owner of old sessions) acts as READONLY: it keeps its own objects and gains no right.
   */
  public CompletionStage<io.troupe.runtime.governance.Principal> principal(String id) {
    return asks.<ApiUser.Command, ApiUser.UserLookup>ask(user(id), ApiUser.Get::new).thenApply(lookup ->
        lookup.user() == null ? new io.troupe.runtime.governance.Principal(id, null, Role.READONLY)
            : new io.troupe.runtime.governance.Principal(id, null, lookup.user().role(), grants(lookup.user())));
  }

  /**
   * Permissions an ADMIN may grant a single user beyond their role. Kept to those that widen what
   * a user may do within their own work, never administration.
   */
  public static final java.util.Set<Permission> GRANTABLE = java.util.EnumSet.of(Permission.DECONFLICTION_PRIORITY);

  /**
   * Grants or withdraws a {@link #GRANTABLE} permission beyond an existing user's role (others are
   * refused as invalid); it takes effect on every node at once (announced). Asking again is harmless.
   */
  public CompletionStage<ApiUser.UserView> setGrant(String id, Permission permission, boolean granted) {
    if (!GRANTABLE.contains(permission)) {
      return java.util.concurrent.CompletableFuture.failedFuture(Refused.invalid("permission", permission.id()
          + " cannot be granted to a single user; grantable: "
          + GRANTABLE.stream().map(Permission::id).toList() + " (change the role instead)"));
    }
    return get(id).thenCompose(known -> asks.<ApiUser.Command, ApiUser.UserView>askWithStatus(user(id),
        r -> new ApiUser.SetGrant(permission, granted, r))).thenApply(view -> {
          authenticator.forget(id);
          return view;
        });
  }

  /**
   * Sets an existing user's own quotas (a null field: the default of troupe.quotas); each set value
   * must be at least 1. Takes effect at the user's next start, definition or stream.
   */
  public CompletionStage<ApiUser.UserView> setQuotas(String id, io.troupe.runtime.governance.quota.UserQuotas quotas) {
    return get(id).thenCompose(known -> asks.<ApiUser.Command, ApiUser.UserView>askWithStatus(user(id),
        r -> new ApiUser.SetQuotas(quotas, r)));
  }

  /** The permissions a user view says were granted beyond the role. */
  public static java.util.Set<Permission> grants(ApiUser.UserView user) {
    if (user.grants() == null) {
      return java.util.Set.of();
    }
    java.util.Set<Permission> out = java.util.EnumSet.noneOf(Permission.class);
    user.grants().forEach(g -> Permission.byId(g).ifPresent(out::add));
    return out;
  }

  /** Changes an existing user's role; it takes effect on every node at once (announced). */
  public CompletionStage<ApiUser.UserView> setRole(String id, Role role) {
    return get(id).thenCompose(known -> asks.<ApiUser.Command, ApiUser.UserView>askWithStatus(user(id),
        r -> new ApiUser.SetRole(role, r))).thenApply(view -> {
          authenticator.forget(id);
          return view;
        });
  }

  /** Issues a key to an existing user; only its digest is stored. */
  public CompletionStage<IssuedKey> issueKey(String id, String label) {
    String keyId = ApiKeys.newId("k-");
    String key = ApiKeys.generate(id, keyId);
    return get(id).thenCompose(known -> asks.<ApiUser.Command, ApiUser.KeyView>askWithStatus(user(id),
            r -> new ApiUser.IssueKey(keyId, label, ApiKeys.digest(key), r)))
        .thenApply(view -> {
          // Cached credentials predate the key: without this, the new key would be refused here
          // until the cache entry expired.
          authenticator.forget(id);
          knownKeys.add(id, view.keyId());
          return new IssuedKey(id, view.keyId(), view.label(), view.createdAt(), key);
        });
  }

  /** Revokes one of an existing user's keys; an unknown key is refused as not found. */
  public CompletionStage<ApiUser.KeyView> revokeKey(String id, String keyId) {
    return get(id).thenCompose(known -> user(id).<ApiUser.KeyView>askWithStatus(r -> new ApiUser.RevokeKey(keyId, r),
            askTimeout)
        .handle((view, error) -> {
          if (error != null) {
            if (error.getCause() instanceof StatusReply.ErrorMessage || error instanceof StatusReply.ErrorMessage) {
              throw Refused.notFound("user " + id + " has no API key " + keyId);
            }
            throw new java.util.concurrent.CompletionException(error);
          }
          authenticator.forget(id);
          return view;
        }));
  }

  private EntityRef<ApiUser.Command> user(String id) {
    return sharding.entityRefFor(ApiUser.ENTITY_KEY, id);
  }

  /** Extension id: one service per ActorSystem. */
  public static final class Id extends ExtensionId<Users> {
    private static final Id INSTANCE = new Id();

    @Override
    public Users createExtension(ActorSystem<?> system) {
      return new Users(system);
    }
  }
}
