package io.troupe.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.monitoring.ClusterMetricsReporter;
import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.CallAgentTool;
import io.troupe.runtime.agent.Session;
import io.troupe.runtime.agent.SessionServices;
import io.troupe.runtime.agent.SubscriptionWorker;
import io.troupe.runtime.llm.LlmProviders;
import io.troupe.runtime.llm.ScriptedProvider;
import io.troupe.runtime.tool.BuiltInTools;
import io.troupe.runtime.tool.ToolRegistry;
import io.troupe.runtime.broker.Subscriber;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.broker.TopicLog;
import io.troupe.runtime.cluster.ClusterInspector;
import io.troupe.runtime.db.Database;
import io.troupe.runtime.db.DatabaseTarget;
import io.troupe.runtime.db.EmbeddedDatabase;
import io.troupe.runtime.db.Schema;
import io.troupe.runtime.governance.ratelimit.RateLimiter;
import io.troupe.runtime.governance.ratelimit.RateLimits;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Troupe node: its database (embedded or external, schema created), a clustered ActorSystem
 * with sharding and the Split Brain Resolver, the entities, pekko-management, and the services
 * the HTTP edge uses. The edge itself lives in the http-api module and is started on top.
 *
 * <p>Shutdown order: coordinated shutdown (leave the cluster, hand off shards, stop the system),
 * then the query pool, then the embedded PostgreSQL, last.
 */
public final class TroupeNode implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TroupeNode.class);
  public static final String SYSTEM_NAME = "troupe";
  /** The runtime's own entity types; modules above add theirs through {@link EntityRegistration}. */
  public static final List<EntityTypeKey<?>> RUNTIME_ENTITY_TYPES =
      List.of(Topic.ENTITY_KEY, Subscriber.ENTITY_KEY, Agent.ENTITY_KEY, Session.ENTITY_KEY, SubscriptionWorker.ENTITY_KEY,
          io.troupe.runtime.governance.security.ApiUser.ENTITY_KEY, RateLimiter.ENTITY_KEY,
          io.troupe.runtime.governance.cost.Budget.ENTITY_KEY, io.troupe.runtime.governance.quota.SessionSlots.ENTITY_KEY);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<Void> system;
  private final NodeSettings settings;
  private final EmbeddedDatabase embedded;
  private final Database database;
  private final TopicLog topicLog;
  private final ClusterInspector inspector;
  private final HealthProbe health;
  private final List<EntityRegistration> entities;
  private final ToolRegistry tools;
  private final SessionServices sessionServices;
  private final io.troupe.runtime.governance.cost.CostControl costs;
  private final io.troupe.runtime.governance.cost.Costs costService;
  private final io.troupe.runtime.journal.JournalFollower follower;
  private final io.troupe.runtime.governance.security.AuditLog auditLog;

  private TroupeNode(ActorSystem<Void> system, NodeSettings settings, EmbeddedDatabase embedded, Database database,
                     List<EntityRegistration> entities) {
    this.system = system;
    this.settings = settings;
    this.embedded = embedded;
    this.database = database;
    this.entities = entities;
    RuntimeSettings runtime = RuntimeSettings.get(system);
    this.follower = new io.troupe.runtime.journal.JournalFollower(system, runtime.broker().streamLiveBuffer());
    this.topicLog = new TopicLog(system, database, follower);
    this.tools = BuiltInTools.register(new ToolRegistry(), system, topicLog, runtime.tools());
    this.tools.register(new CallAgentTool(system));
    this.costs = io.troupe.runtime.governance.cost.CostControl.from(runtime.costs(),
        new io.troupe.runtime.governance.cost.ShardedBudgets(system, runtime.costs().budgetAskTimeout()));
    this.costService = new io.troupe.runtime.governance.cost.Costs(system, database, costs.pricing());
    this.sessionServices = SessionServices.from(runtime.sessions(), LlmProviders.from(runtime.llm()), tools, costs);
    this.inspector = new ClusterInspector(system, entityTypes(), Duration.ofSeconds(3));
    this.health = new HealthProbe(system, database, inspector, settings.dataDir());
    var metrics = io.troupe.runtime.governance.GovernanceMetrics.get(system);
    var security = runtime.security();
    this.auditLog = new io.troupe.runtime.governance.security.AuditLog(database, security.auditQueueCapacity(),
        security.auditBatchSize(), security.auditFlushInterval(), metrics.auditDropped::inc);
  }

  /**
   * Starts a node from the application configuration ({@code application.conf}, or the file
   * named by {@code -Dconfig.resource}) with {@code overrides} on top.
   */
  public static TroupeNode start(Config overrides) throws Exception {
    return start(overrides, List.of());
  }

  /** As {@link #start(Config)}, with the entity types of the modules above the runtime. */
  public static TroupeNode start(Config overrides, List<EntityRegistration> domainEntities) throws Exception {
    return start(overrides, domainEntities, List.of());
  }

  /**
   * As {@link #start(Config)}, with the entity types and the tools of the modules above the
   * runtime (tools are registered before any entity starts, so a session resumed at start finds them).
   */
  public static TroupeNode start(Config overrides, List<EntityRegistration> domainEntities,
                                 List<java.util.function.Function<ActorSystem<?>, io.troupe.runtime.tool.Tool>> domainTools)
      throws Exception {
    return start(overrides, domainEntities, domainTools, java.time.Clock.systemUTC());
  }

  /**
   * As {@link #start(Config, List, List)}, on {@code clock}: the {@link NodeClock} every entity,
   * budget, rate limit and expiry of this node reads (a test passes one it can move).
   */
  public static TroupeNode start(Config overrides, List<EntityRegistration> domainEntities,
                                 List<java.util.function.Function<ActorSystem<?>, io.troupe.runtime.tool.Tool>> domainTools,
                                 java.time.Clock clock) throws Exception {
    List<EntityRegistration> entities = List.copyOf(domainEntities);
    Config base = overrides.withFallback(ConfigFactory.defaultApplication());
    Config loaded = ConfigFactory.load(base);
    NodeSettings settings = NodeSettings.from(loaded);
    RuntimeSettings.from(loaded); // checks every troupe.* setting before the database or cluster starts
    RemoteTls.check(loaded); // and the cluster's TLS stores, which Pekko would only open at its first handshake
    log.info("Starting Troupe node: {}", settings);
    refuseSplitStorage(settings);

    EmbeddedDatabase embedded = settings.embeddedDatabase()
        ? EmbeddedDatabase.start(settings.dataDir(), settings.embeddedDbPort())
        : null;
    try {
      DatabaseTarget target = embedded != null
          ? embedded.target()
          : new DatabaseTarget(settings.dbUrl(), settings.dbUser(), settings.dbPassword());
      Schema.create(target, io.troupe.runtime.readside.Slices.count(loaded));
      Config config = RemoteTls.withTransport(ConfigFactory.load(ConfigFactory.parseMap(Map.of(
              "troupe.db.jdbc-url", target.jdbcUrl(),
              "troupe.db.user", target.user(),
              "troupe.db.password", target.password()))
          .withFallback(base)));
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
      NodeClock.get(system).use(clock);
      TroupeNode node;
      try {
        Database database = new Database(target, settings.queryPoolSize(),
            system.dispatchers().lookup(DispatcherSelector.blocking()));
        io.troupe.runtime.db.NodeDatabase.get(system).use(database);
        node = new TroupeNode(system, settings, embedded, database, List.copyOf(entities));
        io.troupe.runtime.governance.security.NodeAudit.get(system).use(node.auditLog());
      } catch (Exception | Error e) {
        system.terminate(); // e.g. a bad provider setting: do not leave the actor system running
        system.getWhenTerminated().toCompletableFuture().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        throw e;
      }
      try {
        domainTools.forEach(tool -> node.tools.register(tool.apply(system)));
        node.boot();
      } catch (Exception | Error e) {
        node.close(); // e.g. the management port is taken: stop the actor system too
        throw e;
      }
      return node;
    } catch (Exception | Error e) {
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /**
   * Entities move between nodes, so every node of a cluster must journal to the same database.
   * A node with its own embedded database that joins other nodes would split topic logs.
   */
  static void refuseSplitStorage(NodeSettings settings) {
    if (!settings.embeddedDatabase()) {
      return;
    }
    String self = settings.host() + ":" + settings.clusterPort();
    for (String seed : settings.seedNodes()) {
      if (!seed.endsWith("@" + self) && !seed.equals(self)) {
        throw new IllegalStateException("TROUPE_SEED_NODES names other nodes (" + seed + "), but no TROUPE_DB_URL is"
            + " set: every node of a cluster must use the same PostgreSQL, or their journals would diverge."
            + " Set TROUPE_DB_URL (and TROUPE_DB_USER, TROUPE_DB_PASSWORD) on every node.");
      }
    }
  }

  private void boot() throws Exception {
    Topic.init(system);
    Subscriber.init(system);
    Agent.init(system);
    io.troupe.runtime.governance.cost.Budget.init(system);
    Session.init(system, sessionServices);
    io.troupe.runtime.readside.SessionProjection.init(system);
    io.troupe.runtime.agent.SessionReviver.init(system, new io.troupe.runtime.readside.SessionQueries(database),
        RuntimeSettings.get(system).sessions().resumes().reviveInterval(), NodeClock.get(system).clock());
    io.troupe.runtime.readside.CostProjection.init(system, costs.pricing());
    io.troupe.runtime.readside.AgentProjection.init(system);
    io.troupe.runtime.readside.UserProjection.init(system);
    io.troupe.runtime.governance.quota.SessionSlots.init(system,
        (slot, within) -> io.troupe.runtime.agent.Sessions.get(system).whenSlotFree(slot, within),
        RuntimeSettings.get(system).sessions().maxDuration());
    io.troupe.runtime.governance.quota.Quotas.get(system)
        .countAgentsWith(new io.troupe.runtime.readside.AgentQueries(database)::countActiveOwnedBy);
    io.troupe.runtime.governance.security.KnownKeys.get(system).reloadEvery(system,
        RuntimeSettings.get(system).security().knownKeysRefresh(),
        new io.troupe.runtime.readside.UserQueries(database)::list);
    SubscriptionWorker.init(system, topicLog);
    io.troupe.runtime.governance.security.ApiUser.init(system);
    io.troupe.runtime.governance.security.AdminBootstrap.whenUp(system,
        RuntimeSettings.get(system).security().adminToken(), settings.dataDir());
    RateLimiter.init(system);
    RateLimits.get(system); // the node's limiter, ready before the first request
    entities.forEach(e -> e.init().accept(system));
    system.systemActorOf(ClusterMetricsReporter.create(entityTypes(), settings.clusterPollInterval()),
        "cluster-metrics", Props.empty());

    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "close-query-pool", () -> {
          auditLog.close(); // writes what is queued while the pool is still open
          database.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    if (embedded != null) {
      // After everything else: the journal may write until the actor system is gone.
      system.getWhenTerminated().thenRun(this::stopEmbeddedDatabase);
    }

    PekkoManagement.get(Adapter.toClassic(system)).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    join();
  }

  private void join() {
    Cluster cluster = Cluster.get(system);
    List<Address> seeds = SeedNodes.parse(settings.seedNodes(), SYSTEM_NAME);
    if (seeds.isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    } else {
      cluster.manager().tell(new JoinSeedNodes(seeds));
    }
  }

  private List<EntityTypeKey<?>> entityTypes() {
    List<EntityTypeKey<?>> keys = new java.util.ArrayList<>(RUNTIME_ENTITY_TYPES);
    entities.forEach(e -> keys.add(e.key()));
    return List.copyOf(keys);
  }

  /** Lists entities from the journal's index (agents, an agent's recent sessions). */
  public io.troupe.runtime.db.JournalIds journalIds() {
    return new io.troupe.runtime.db.JournalIds(database);
  }

  /** Follows an entity's events from the journal and then live (session SSE). */
  public io.troupe.runtime.journal.JournalFollower follower() {
    return follower;
  }

  /** The security audit log (written by the HTTP edge). */
  public io.troupe.runtime.governance.security.AuditLog auditLog() {
    return auditLog;
  }

  /** The pricing table and the budgets sessions reserve on (troupe.costs). */
  /** Costs and budgets for the doors: spending, usage, forecasts, budgets. */
  public io.troupe.runtime.governance.cost.Costs costService() {
    return costService;
  }

  public io.troupe.runtime.governance.cost.CostControl costs() {
    return costs;
  }

  public ToolRegistry tools() {
    return tools;
  }

  /** Model providers by name (the scripted one is built per session from its agent's script). */
  public java.util.Set<String> providerNames() {
    java.util.Set<String> names = new java.util.TreeSet<>(sessionServices.providers().keySet());
    names.add(ScriptedProvider.NAME);
    return names;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public NodeSettings settings() {
    return settings;
  }

  public Database database() {
    return database;
  }

  public TopicLog topicLog() {
    return topicLog;
  }

  public ClusterInspector inspector() {
    return inspector;
  }

  public HealthProbe health() {
    return health;
  }

  /** Leaves the cluster and stops everything, the embedded database last. Waits, bounded. */
  @Override
  public void close() {
    long began = System.nanoTime();
    try {
      CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason())
          .toCompletableFuture().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      system.getWhenTerminated().toCompletableFuture().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      log.info("Troupe node {} stopped in {} ms", settings.clusterPort(), (System.nanoTime() - began) / 1_000_000);
    } catch (Exception e) {
      log.warn("Node did not stop cleanly within {}", STOP_TIMEOUT, e);
    } finally {
      stopEmbeddedDatabase();
    }
  }

  private synchronized void stopEmbeddedDatabase() {
    if (embedded == null) {
      return;
    }
    try {
      embedded.close();
    } catch (Exception e) {
      log.warn("Embedded PostgreSQL did not stop cleanly", e);
    }
  }
}
