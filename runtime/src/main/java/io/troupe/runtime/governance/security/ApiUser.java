package io.troupe.runtime.governance.security;

import io.troupe.runtime.CborSerializable;
import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.governance.quota.UserQuotas;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.pubsub.DistributedPubSub;
import org.apache.pekko.cluster.pubsub.DistributedPubSubMediator;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A user of the API: name, role and API keys, one sharded entity per user id, so every node
 * agrees on them. Keys are held only as SHA-256 digests of the key. A change that takes rights
 * away (a revoked key, a new role, a replaced bootstrap key) is announced on {@link #CHANGES} so
 * every node's {@link Authenticator} forgets what it cached at once.
 */
public final class ApiUser extends EventSourcedBehaviorWithEnforcedReplies<ApiUser.Command, ApiUser.Event, ApiUser.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "ApiUser");
  /** Pub-sub topic carrying the ids of users whose credentials changed. */
  public static final String CHANGES = "troupe-security-changes";
  /** The user the node creates at first start, holding the bootstrap key. */
  public static final String ADMIN_ID = "admin";
  public static final String BOOTSTRAP_KEY_ID = "bootstrap";

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** Events are tagged {@code api-user-<slice>} for the {@code api_user} read table's projection. */
  public static final String TAG = "api-user";

  public static Behavior<Command> create(String userId) {
    return Behaviors.setup(ctx -> new ApiUser(userId,
        DistributedPubSub.get(Adapter.toClassic(ctx.getSystem())).mediator(),
        io.troupe.runtime.readside.Slices.count(ctx.getSystem()), io.troupe.runtime.node.NodeClock.get(ctx.getSystem()).clock()));
  }

  // --- protocol ---

  public sealed interface Command extends CborSerializable {}

  /** Creates the user; asking again with the same name and role succeeds (safe to re-ask). */
  public record Create(String name, Role role, ActorRef<StatusReply<UserView>> replyTo) implements Command {}

  public record Get(ActorRef<UserLookup> replyTo) implements Command {}

  /** For the authenticator only: the role and the digests of the keys not revoked. */
  public record GetCredentials(ActorRef<Credentials> replyTo) implements Command {}

  public record SetRole(Role role, ActorRef<StatusReply<UserView>> replyTo) implements Command {}

  /** Adds a key by its digest; asking again with the same key id and digest succeeds. */
  public record IssueKey(String keyId, String label, String digestHex, ActorRef<StatusReply<KeyView>> replyTo)
      implements Command {}

  public record RevokeKey(String keyId, ActorRef<StatusReply<KeyView>> replyTo) implements Command {}

  /** Grants ({@code granted}) or withdraws a permission beyond the role; asking again changes nothing. */
  public record SetGrant(Permission permission, boolean granted, ActorRef<StatusReply<UserView>> replyTo)
      implements Command {}

  /**
   * Records that the user creates {@code topic}, unless they created {@code limit} topics already
   * (then an error naming the quota); the same topic again changes nothing. Replies the count.
   * A user that does not exist has no count: 0, nothing recorded.
   */
  public record ClaimTopic(String topic, int limit, ActorRef<StatusReply<Integer>> replyTo) implements Command {}

  /** Sets the user's own quotas (a null field: the default); asking again changes nothing. */
  public record SetQuotas(UserQuotas quotas, ActorRef<StatusReply<UserView>> replyTo) implements Command {}

  /**
   * Creates the admin user with the bootstrap key when there is none. With {@code replace} (the
   * operator set the token) an existing bootstrap key with another digest is replaced.
   */
  public record EnsureAdmin(String digestHex, boolean replace, ActorRef<AdminEnsured> replyTo) implements Command {}

  public record AdminEnsured(boolean created, boolean replaced, boolean revoked) implements CborSerializable {}

  public record KeyView(String keyId, String label, Instant createdAt, Instant revokedAt) implements CborSerializable {
    public boolean active() {
      return revokedAt == null;
    }
  }

  /**
   * {@code grants}: permission ids granted beyond the role, in permission order; {@code quotas}: the
   * quotas an administrator set for this user (null fields: the defaults). Both null in lists,
   * which come from the read table and do not hold them.
   */
  public record UserView(String id, String name, Role role, Instant createdAt, List<KeyView> apiKeys,
                         List<String> grants, UserQuotas quotas, Integer topicsCreated) implements CborSerializable {
    public UserView(String id, String name, Role role, Instant createdAt, List<KeyView> apiKeys) {
      this(id, name, role, createdAt, apiKeys, null, null, null);
    }
  }

  public record UserLookup(UserView user) implements CborSerializable {}

  /**
   * {@code role} is null when the user does not exist; {@code keyDigests} maps key id to digest;
   * {@code grants} are the permissions granted beyond the role.
   */
  public record Credentials(Role role, Map<String, String> keyDigests, Set<Permission> grants)
      implements CborSerializable {
    public Credentials {
      grants = grants == null ? Set.of() : grants;
    }
  }

  public sealed interface Event extends CborSerializable {}

  public record UserCreated(String name, Role role, Instant at) implements Event {}

  public record RoleChanged(Role role, Instant at) implements Event {}

  public record KeyIssued(String keyId, String label, String digestHex, Instant at) implements Event {}

  public record KeyRevoked(String keyId, Instant at) implements Event {}

  /** An ADMIN granted a permission beyond the user's role. */
  public record PermissionGranted(Permission permission, Instant at) implements Event {}

  /** An ADMIN withdrew a granted permission. */
  public record PermissionRevoked(Permission permission, Instant at) implements Event {}

  /** The user created a topic (published its first message), counted against the topics quota. */
  public record TopicClaimed(String topic, Instant at) implements Event {}

  /** An ADMIN set the user's own quotas (each null field: the default of troupe.quotas). */
  public record QuotasSet(UserQuotas quotas, Instant at) implements Event {}

  /** Replaces the bootstrap key's digest (the operator changed TROUPE_ADMIN_TOKEN). */
  public record BootstrapKeyReplaced(String digestHex, Instant at) implements Event {}

  record StoredKey(String keyId, String label, String digestHex, Instant createdAt, Instant revokedAt)
      implements CborSerializable {}

  /**
   * {@code name} is null until the user is created. Keys in issue order; grants beyond the role;
   * the quotas an administrator set; the topics the user created.
   */
  public record State(String name, Role role, Instant createdAt, Map<String, StoredKey> keys, Set<Permission> grants,
                      UserQuotas quotas, Set<String> topics) implements CborSerializable {
    static final State EMPTY = new State(null, null, null, Map.of(), Set.of(), UserQuotas.DEFAULTS, Set.of());

    boolean exists() {
      return name != null;
    }

    State apply(Event event) {
      if (event instanceof UserCreated c) {
        return new State(c.name(), c.role(), c.at(), keys, grants, quotas, topics);
      }
      if (event instanceof RoleChanged r) {
        return new State(name, r.role(), createdAt, keys, grants, quotas, topics);
      }
      if (event instanceof QuotasSet q) {
        return new State(name, role, createdAt, keys, grants, q.quotas(), topics);
      }
      if (event instanceof TopicClaimed t) {
        java.util.Set<String> next = new java.util.HashSet<>(topics);
        next.add(t.topic());
        return new State(name, role, createdAt, keys, grants, quotas, java.util.Set.copyOf(next));
      }
      if (event instanceof PermissionGranted g) {
        EnumSet<Permission> next = grants.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(grants);
        next.add(g.permission());
        return new State(name, role, createdAt, keys, Set.copyOf(next), quotas, topics);
      }
      if (event instanceof PermissionRevoked r) {
        EnumSet<Permission> next = grants.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(grants);
        next.remove(r.permission());
        return new State(name, role, createdAt, keys, Set.copyOf(next), quotas, topics);
      }
      Map<String, StoredKey> next = new LinkedHashMap<>(keys);
      if (event instanceof KeyIssued k) {
        next.put(k.keyId(), new StoredKey(k.keyId(), k.label(), k.digestHex(), k.at(), null));
      } else if (event instanceof KeyRevoked k) {
        StoredKey old = next.get(k.keyId());
        next.put(k.keyId(), new StoredKey(old.keyId(), old.label(), old.digestHex(), old.createdAt(), k.at()));
      } else {
        BootstrapKeyReplaced b = (BootstrapKeyReplaced) event;
        next.put(BOOTSTRAP_KEY_ID, new StoredKey(BOOTSTRAP_KEY_ID, "bootstrap", b.digestHex(), b.at(), null));
      }
      return new State(name, role, createdAt, next, grants, quotas, topics);
    }
  }

  // --- behavior ---

  private final String userId;
  private final org.apache.pekko.actor.ActorRef mediator;

  private final java.util.Set<String> tags;
  private final java.time.Clock clock;

  private ApiUser(String userId, org.apache.pekko.actor.ActorRef mediator, int slices, java.time.Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), userId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.userId = userId;
    this.mediator = mediator;
    this.clock = clock;
    this.tags = java.util.Set.of(io.troupe.runtime.readside.Slices.tag(TAG, persistenceId().id(), slices));
  }

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new UserLookup(s.exists() ? view(s) : null)))
        .onCommand(GetCredentials.class, (s, c) -> Effect().reply(c.replyTo(), credentials(s)))
        .onCommand(SetRole.class, this::onSetRole)
        .onCommand(IssueKey.class, this::onIssueKey)
        .onCommand(RevokeKey.class, this::onRevokeKey)
        .onCommand(SetGrant.class, this::onSetGrant)
        .onCommand(SetQuotas.class, this::onSetQuotas)
        .onCommand(ClaimTopic.class, this::onClaimTopic)
        .onCommand(EnsureAdmin.class, this::onEnsureAdmin)
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State s, Create c) {
    if (s.exists()) {
      return s.name().equals(c.name()) && s.role() == c.role()
          ? Effect().reply(c.replyTo(), StatusReply.success(view(s)))
          : Effect().reply(c.replyTo(), StatusReply.error("user " + userId + " already exists"));
    }
    return Effect().persist(new UserCreated(c.name(), c.role(), now()))
        .thenReply(c.replyTo(), after -> StatusReply.success(view(after)));
  }

  private ReplyEffect<Event, State> onSetRole(State s, SetRole c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), StatusReply.error(notFound()));
    }
    if (s.role() == c.role()) {
      return Effect().reply(c.replyTo(), StatusReply.success(view(s)));
    }
    return Effect().persist(new RoleChanged(c.role(), now()))
        .thenRun(after -> announceChange())
        .thenReply(c.replyTo(), after -> StatusReply.success(view(after)));
  }

  private ReplyEffect<Event, State> onIssueKey(State s, IssueKey c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), StatusReply.error(notFound()));
    }
    StoredKey existing = s.keys().get(c.keyId());
    if (existing != null) {
      return existing.digestHex().equals(c.digestHex())
          ? Effect().reply(c.replyTo(), StatusReply.success(keyView(existing)))
          : Effect().reply(c.replyTo(), StatusReply.error("key id " + c.keyId() + " is taken"));
    }
    return Effect().persist(new KeyIssued(c.keyId(), c.label(), c.digestHex(), now()))
        .thenReply(c.replyTo(), after -> StatusReply.success(keyView(after.keys().get(c.keyId()))));
  }

  private ReplyEffect<Event, State> onRevokeKey(State s, RevokeKey c) {
    StoredKey key = s.exists() ? s.keys().get(c.keyId()) : null;
    if (key == null) {
      return Effect().reply(c.replyTo(), StatusReply.error(
          s.exists() ? "user " + userId + " has no API key " + c.keyId() : notFound()));
    }
    if (key.revokedAt() != null) {
      return Effect().reply(c.replyTo(), StatusReply.success(keyView(key)));
    }
    return Effect().persist(new KeyRevoked(c.keyId(), now()))
        .thenRun(after -> announceChange())
        .thenReply(c.replyTo(), after -> StatusReply.success(keyView(after.keys().get(c.keyId()))));
  }

  private ReplyEffect<Event, State> onSetGrant(State s, SetGrant c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), StatusReply.error(notFound()));
    }
    if (s.grants().contains(c.permission()) == c.granted()) {
      return Effect().reply(c.replyTo(), StatusReply.success(view(s)));
    }
    Event event = c.granted() ? new PermissionGranted(c.permission(), now()) : new PermissionRevoked(c.permission(), now());
    return Effect().persist(event)
        .thenRun(after -> announceChange())
        .thenReply(c.replyTo(), after -> StatusReply.success(view(after)));
  }

  private ReplyEffect<Event, State> onSetQuotas(State s, SetQuotas c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), StatusReply.error(notFound()));
    }
    if (s.quotas().equals(c.quotas())) {
      return Effect().reply(c.replyTo(), StatusReply.success(view(s)));
    }
    return Effect().persist(new QuotasSet(c.quotas(), now()))
        .thenReply(c.replyTo(), after -> StatusReply.success(view(after)));
  }

  private ReplyEffect<Event, State> onClaimTopic(State s, ClaimTopic c) {
    if (!s.exists()) {
      return Effect().reply(c.replyTo(), StatusReply.success(0));
    }
    if (s.topics().contains(c.topic())) {
      return Effect().reply(c.replyTo(), StatusReply.success(s.topics().size()));
    }
    if (s.topics().size() >= c.limit()) {
      return Effect().reply(c.replyTo(), StatusReply.error("quota exceeded: user " + userId + " created "
          + s.topics().size() + " topics, its topics quota is " + c.limit() + "; publish to a topic that exists"));
    }
    return Effect().persist(new TopicClaimed(c.topic(), now()))
        .thenReply(c.replyTo(), after -> StatusReply.success(after.topics().size()));
  }

  private ReplyEffect<Event, State> onEnsureAdmin(State s, EnsureAdmin c) {
    if (!s.exists()) {
      Instant at = now();
      return Effect().persist(List.of(new UserCreated(ADMIN_ID, Role.ADMIN, at),
              new KeyIssued(BOOTSTRAP_KEY_ID, "bootstrap", c.digestHex(), at)))
          .thenReply(c.replyTo(), after -> new AdminEnsured(true, false, false));
    }
    StoredKey bootstrap = s.keys().get(BOOTSTRAP_KEY_ID);
    boolean sameDigest = bootstrap != null && bootstrap.digestHex().equals(c.digestHex());
    if (sameDigest && bootstrap.revokedAt() != null) {
      // An administrator revoked this very token: a restart with it still configured must not
      // bring it back. Only a different token replaces a revoked bootstrap key.
      return Effect().reply(c.replyTo(), new AdminEnsured(false, false, true));
    }
    boolean same = sameDigest;
    if (same) {
      // A generated key can only match if an earlier attempt of the same node stored it and its
      // reply was lost: that node still has to announce it.
      return Effect().reply(c.replyTo(), new AdminEnsured(!c.replace(), false, false));
    }
    if (!c.replace()) {
      return Effect().reply(c.replyTo(), new AdminEnsured(false, false, false));
    }
    return Effect().persist(new BootstrapKeyReplaced(c.digestHex(), now()))
        .thenRun(after -> announceChange())
        .thenReply(c.replyTo(), after -> new AdminEnsured(false, true, false));
  }

  private void announceChange() {
    mediator.tell(new DistributedPubSubMediator.Publish(CHANGES, new Authenticator.Changed(userId)),
        org.apache.pekko.actor.ActorRef.noSender());
  }

  private String notFound() {
    return "no user " + userId;
  }

  private UserView view(State s) {
    List<KeyView> keys = s.keys().values().stream().map(ApiUser::keyView)
        .sorted(Comparator.comparing(KeyView::createdAt)).toList();
    List<String> grants = s.grants().stream().sorted().map(Permission::id).toList();
    return new UserView(userId, s.name(), s.role(), s.createdAt(), keys, grants, s.quotas(), s.topics().size());
  }

  private static KeyView keyView(StoredKey k) {
    return new KeyView(k.keyId(), k.label(), k.createdAt(), k.revokedAt());
  }

  private static Credentials credentials(State s) {
    if (!s.exists()) {
      return new Credentials(null, Map.of(), Set.of());
    }
    Map<String, String> active = new LinkedHashMap<>();
    s.keys().values().stream().filter(k -> k.revokedAt() == null).forEach(k -> active.put(k.keyId(), k.digestHex()));
    return new Credentials(s.role(), active, s.grants());
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
