package io.troupe.runtime.governance.ratelimit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.runtime.governance.EndpointClass;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code troupe.rate-limits} block: each endpoint class's limits (a per-minute and a per-hour
 * one; a class without its own value takes the block's {@code per-minute} / {@code per-hour}),
 * the same per user ({@code per-user}: all of a user's keys together; a class without its own
 * value there takes the per-key one), and how nodes lease tokens from the cluster-wide buckets.
 * See the runtime's reference.conf for the meaning of each key.
 *
 * @param limits      per class, its enabled limits per API key (none: the class is not limited)
 * @param userLimits  per class, its enabled limits per user (all the user's keys share them)
 * @param leaseSize   the largest number of tokens a node leases at once
 * @param leaseTtl    how long a node may keep leased tokens before it gives them back
 * @param askTimeout  how long a node waits for a key's limiter entity
 * @param fallbackFor how long a node uses its local fallback bucket after the entity did not answer
 * @param maxWaiting  requests of one key and class waiting on one node for a lease; more are refused
 */
public record RateLimitSettings(Map<EndpointClass, List<Limit>> limits, Map<EndpointClass, List<Limit>> userLimits,
                                int leaseSize, Duration leaseTtl, Duration askTimeout, Duration fallbackFor,
                                int maxWaiting) {

  /** A node leases at most this fraction (1/50) of a class's smallest limit at once. */
  static final int LEASE_DIVISOR = 50;
  private static final Set<String> UNLIMITED = Set.of("0", "off", "false", "no", "none", "unlimited");

  /** A subject id naming a user (all of the user's keys), not one key: {@code user:<user id>}. */
  static final String USER_PREFIX = "user:";

  public RateLimitSettings {
    limits = Map.copyOf(limits);
    userLimits = Map.copyOf(userLimits);
    if (leaseSize < 1 || maxWaiting < 1) {
      throw new IllegalArgumentException("lease-size and max-waiting must be at least 1");
    }
  }

  public static RateLimitSettings from(Config config) {
    Config c = config.getConfig("troupe.rate-limits");
    Map<EndpointClass, List<Limit>> limits = new EnumMap<>(EndpointClass.class);
    Map<EndpointClass, List<Limit>> userLimits = new EnumMap<>(EndpointClass.class);
    for (EndpointClass cls : EndpointClass.values()) {
      limits.put(cls, classLimits(c, cls, ""));
      userLimits.put(cls, classLimits(c, cls, "per-user."));
    }
    return new RateLimitSettings(limits, userLimits, c.getInt("lease-size"), c.getDuration("lease-ttl"),
        c.getDuration("ask-timeout"), c.getDuration("fallback-for"), c.getInt("max-waiting"));
  }

  private static List<Limit> classLimits(Config c, EndpointClass cls, String scope) {
    List<Limit> classLimits = new ArrayList<>(2);
    limit(c, cls, scope, "per-minute", Limit.MINUTE).ifPresent(classLimits::add);
    limit(c, cls, scope, "per-hour", Limit.HOUR).ifPresent(classLimits::add);
    return classLimits;
  }

  /** The class's enabled limits per API key, minute before hour; empty when the class is not limited. */
  public List<Limit> limitsOf(EndpointClass cls) {
    return limits.getOrDefault(cls, List.of());
  }

  /** The class's enabled limits per user (all of the user's keys together). */
  public List<Limit> userLimitsOf(EndpointClass cls) {
    return userLimits.getOrDefault(cls, List.of());
  }

  /** The limits of a subject: a user's ({@link RateLimits#userSubject}) or else one key's. */
  List<Limit> limitsOf(String subject, EndpointClass cls) {
    return subject.startsWith(USER_PREFIX) ? userLimitsOf(cls) : limitsOf(cls);
  }

  /** Tokens a node leases at once for {@code cls}: 1/50 of its smallest limit, at least 1, at most lease-size. */
  public int leaseSizeOf(EndpointClass cls) {
    return leaseSizeOf(limitsOf(cls));
  }

  int leaseSizeOf(List<Limit> classLimits) {
    long smallest = classLimits.stream().mapToLong(Limit::count).min().orElse(1);
    return (int) Math.max(1, Math.min(leaseSize, smallest / LEASE_DIVISOR));
  }

  /**
   * One limit of a class: for users ({@code scope} "per-user.") the user's own value when set,
   * else the per-key one; for keys the class's value, else the block's.
   */
  private static java.util.Optional<Limit> limit(Config c, EndpointClass cls, String scope, String key,
                                                 Duration window) {
    String classPath = "classes." + cls.label() + "." + key;
    String userPath = scope + cls.label() + "." + key;
    String path = !scope.isEmpty() && c.hasPath(userPath) ? userPath : c.hasPath(classPath) ? classPath : key;
    String raw = c.getString(path).trim().toLowerCase(Locale.ROOT);
    if (UNLIMITED.contains(raw)) {
      return java.util.Optional.empty();
    }
    long count;
    try {
      count = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ConfigException.BadValue(c.origin(), "troupe.rate-limits." + path,
          "must be a whole number of requests, or 0 / off for no limit; was \"" + raw + "\"");
    }
    if (count < 0) {
      throw new ConfigException.BadValue(c.origin(), "troupe.rate-limits." + path,
          "must not be negative (0 or off: no limit); was " + count);
    }
    return count == 0 ? java.util.Optional.empty() : java.util.Optional.of(new Limit(count, window));
  }
}
