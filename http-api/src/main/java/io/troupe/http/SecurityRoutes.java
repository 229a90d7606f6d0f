package io.troupe.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.troupe.runtime.readside.Cursor;
import io.troupe.runtime.readside.UserQueries;
import io.troupe.runtime.governance.Permission;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.governance.security.ApiKeys;
import io.troupe.runtime.governance.security.ApiUser;
import io.troupe.runtime.governance.security.AuditEntry;
import io.troupe.runtime.governance.security.AuditLog;
import io.troupe.runtime.governance.security.Users;
import io.troupe.runtime.service.Refused;
import io.troupe.runtime.node.TroupeNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Users, roles, API keys, permission checks, stats and the audit log. A new key is answered once,
 * in the response that creates it; only its SHA-256 digest is stored.
 */
public final class SecurityRoutes extends EdgeDirectives {

  record PermissionView(String id, String description) {}

  record PermissionsView(List<PermissionView> permissions, Map<String, List<String>> roles) {}

  record UsersPage(List<ApiUser.UserView> users, String next) {}

  record IssuedKey(String userId, String keyId, String label, Instant createdAt, String apiKey, String note) {}

  record CheckView(String userId, String role, String permission, boolean allowed) {}

  record AuditPage(List<AuditEntry> entries, String next) {}

  record StatsView(int users, boolean usersTruncated, Map<String, Integer> usersByRole, int activeKeys,
                   int revokedKeys, Map<String, Long> auditLast24h) {}

  private static final int MAX_STATS_USERS = 1000;

  private final UserQueries userList;
  private final AuditLog audit;
  private final Users users;
  private final QuotaRoutes quotas;
  private final int defaultLimit;
  private final int maxLimit;
  private final int auditDefaultLimit;
  private final int auditMaxLimit;

  public SecurityRoutes(TroupeNode node, long maxBodyBytes) {
    super(maxBodyBytes);
    var settings = io.troupe.runtime.node.RuntimeSettings.get(node.system());
    this.userList = new UserQueries(node.database());
    this.audit = node.auditLog();
    this.users = Users.get(node.system());
    this.quotas = new QuotaRoutes(users, io.troupe.runtime.governance.quota.Quotas.get(node.system()),
        StreamSlots.get(node.system()), maxBodyBytes);
    this.defaultLimit = settings.sessions().defaultListLimit();
    this.maxLimit = settings.sessions().maxListLimit();
    this.auditDefaultLimit = settings.security().auditDefaultLimit();
    this.auditMaxLimit = settings.security().auditMaxLimit();
  }

  public Route route() {
    return pathPrefix("security", () -> concat(
        path("permissions", () -> template("/api/v1/security/permissions", () -> get(this::permissions))),
        path("check-permission", () -> template("/api/v1/security/check-permission", () -> post(this::check))),
        path("stats", () -> template("/api/v1/security/stats", () -> get(this::stats))),
        path("audit", () -> template("/api/v1/security/audit", () -> get(this::auditLog))),
        pathPrefix("users", () -> concat(
            pathEnd(() -> template("/api/v1/security/users", () -> concat(post(this::createUser), get(this::listUsers)))),
            pathPrefix(segment(), id -> validUser(id, () -> userRoutes(id)))))));
  }

  private Route userRoutes(String id) {
    return concat(
        pathEnd(() -> template("/api/v1/security/users/{id}", () -> get(() -> getUser(id)))),
        path("role", () -> template("/api/v1/security/users/{id}/role", () -> put(() -> setRole(id)))),
        pathPrefix("api-keys", () -> concat(
            pathEnd(() -> template("/api/v1/security/users/{id}/api-keys", () -> post(() -> issueKey(id)))),
            path(segment(), keyId -> template("/api/v1/security/users/{id}/api-keys/{keyId}",
                () -> delete(() -> revokeKey(id, keyId)))))),
        path("quotas", () -> quotas.route(id)),
        path(segment("grants").slash(segment()), permission -> template("/api/v1/security/users/{id}/grants/{permission}",
            () -> concat(put(() -> setGrant(id, permission, true)), delete(() -> setGrant(id, permission, false))))));
  }

  /** PUT grants, DELETE withdraws a permission beyond the user's role: 200 with the user. */
  private Route setGrant(String id, String permissionId, boolean granted) {
    Permission permission = Permission.byId(permissionId).orElse(null);
    if (permission == null) {
      return problem(Problem.invalid("permission", "is not a permission; GET /api/v1/security/permissions lists them"));
    }
    return respond(users.setGrant(id, permission, granted).thenApply(view -> Json.response(StatusCodes.OK, view)));
  }

  private Route validUser(String id, Supplier<Route> inner) {
    return ApiKeys.validId(id) ? inner.get()
        : problem(Problem.invalid("id", "must be a user id: 1–63 characters of a–z, 0–9 and '-', starting with a letter or digit"));
  }

  private Route permissions() {
    List<PermissionView> all = Arrays.stream(Permission.values()).map(p -> new PermissionView(p.id(), p.description()))
        .toList();
    Map<String, List<String>> roles = new LinkedHashMap<>();
    for (Role role : Role.values()) {
      roles.put(role.name(), role.permissions().stream().map(Permission::id).toList());
    }
    return complete(Json.response(StatusCodes.OK, new PermissionsView(all, roles)));
  }

  /** {"permission", "userId"?}: whether the user (default: the caller) holds the permission. */
  private Route check() {
    return principal(caller -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      String permissionId = errors.requiredText(body, "permission", 64);
      String userId = errors.optionalText(body, "userId", 63);
      Permission permission = null;
      if (permissionId != null) {
        permission = Permission.byId(permissionId).orElse(null);
        if (permission == null) {
          errors.add("permission", "is not a permission; GET /api/v1/security/permissions lists them");
        }
      }
      if (userId != null && !ApiKeys.validId(userId)) {
        errors.add("userId", "must be a user id");
      }
      if (errors.any()) {
        return problem(errors.problem());
      }
      Permission asked = permission;
      if (userId == null || userId.equals(caller.userId())) {
        return complete(Json.response(StatusCodes.OK,
            new CheckView(caller.userId(), caller.role().name(), asked.id(), caller.allows(asked))));
      }
      if (!caller.isAdmin()) {
        return problem(Problem.of(StatusCodes.FORBIDDEN, "checking another user's permissions needs "
            + Permission.SECURITY_ADMIN.id()));
      }
      return respond(lookup(userId).thenApply(u -> u == null ? noUser(userId)
          : Json.response(StatusCodes.OK, new CheckView(u.id(), u.role().name(), asked.id(),
              u.role().allows(asked) || Users.grants(u).contains(asked)))));
    }));
  }

  /** {"name", "role"?}: 201 with the user; the id is generated. */
  private Route createUser() {
    return jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      String name = errors.requiredText(body, "name", 255);
      Role role = errors.enumValue(body, "role", Role.class, Role.USER);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(users.create(name, role).thenApply(view -> Json.response(StatusCodes.CREATED, view)
          .addHeader(Location.create("/api/v1/security/users/" + view.id()))));
    });
  }

  private Route listUsers() {
    return parameterOptional("after", after -> parameterOptional("limit", limit -> {
      FieldErrors errors = new FieldErrors();
      long pageSize = errors.queryLong(limit, "limit", defaultLimit, 1, maxLimit);
      if (after.isPresent() && !ApiKeys.validId(after.get())) {
        errors.add("after", "must be a user id");
      }
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(users(after.orElse(""), (int) pageSize + 1).thenApply(users -> {
        boolean more = users.size() > pageSize;
        List<ApiUser.UserView> page = more ? users.subList(0, (int) pageSize) : users;
        return Json.response(StatusCodes.OK, new UsersPage(page, more ? page.get(page.size() - 1).id() : null));
      }));
    }));
  }

  /** Users in id order after {@code after}, from the api_user read table. */
  private CompletionStage<List<ApiUser.UserView>> users(String after, int limit) {
    return userList.list(after, limit);
  }

  /** The user, or null when there is none (for the answers that say so themselves). */
  private CompletionStage<ApiUser.UserView> lookup(String id) {
    return users.get(id).exceptionally(e -> {
      if (e instanceof java.util.concurrent.CompletionException && e.getCause() instanceof Refused) {
        return null;
      }
      throw e instanceof java.util.concurrent.CompletionException c ? c : new java.util.concurrent.CompletionException(e);
    });
  }

  private Route getUser(String id) {
    return respond(users.get(id).thenApply(u -> Json.response(StatusCodes.OK, u)));
  }

  /** {"role"}: takes effect on every node at once (announced), within the cache bound at worst. */
  private Route setRole(String id) {
    return jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      Role role = errors.enumValue(body, "role", Role.class, null);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(users.setRole(id, role).thenApply(view -> Json.response(StatusCodes.OK, view)));
    });
  }

  /** {"label"?}: 201 with the key, shown this once. */
  private Route issueKey(String id) {
    return jsonObjectOrEmpty(body -> {
      FieldErrors errors = new FieldErrors();
      String label = body == null ? null : errors.optionalText(body, "label", 255);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(users.issueKey(id, label)
          .thenApply(k -> Json.response(StatusCodes.CREATED, new IssuedKey(id, k.keyId(), k.label(),
              k.createdAt(), k.apiKey(), "store this key now: it is not shown again and cannot be recovered"))
              // A secret: no cache (browser, proxy) may keep this answer.
              .addHeader(org.apache.pekko.http.javadsl.model.headers.CacheControl.create(
                  org.apache.pekko.http.javadsl.model.headers.CacheDirectives.NO_STORE))));
    });
  }

  private Route revokeKey(String id, String keyId) {
    if (!ApiKeys.validId(keyId)) {
      return problem(Problem.invalid("keyId", "must be a key id"));
    }
    return respond(users.revokeKey(id, keyId).thenApply(view -> Json.response(StatusCodes.OK, view)));
  }

  private static HttpResponse noUser(String id) {
    return Problem.of(StatusCodes.NOT_FOUND, "no user " + id).toResponse();
  }

  /** GET /api/v1/security/audit?userId=&action=&since=&after=&limit=: newest first, a page at a time. */
  private Route auditLog() {
    return parameterOptional("userId", userId -> parameterOptional("action", action ->
        parameterOptional("since", sinceParam -> parameterOptional("after", afterParam -> parameterOptional("limit", limitParam -> {
          FieldErrors errors = new FieldErrors();
          Cursor after = afterParam.map(a -> Cursor.decode(a).filter(c -> c.id().matches("[0-9]{1,18}")).orElse(null))
              .orElse(null);
          if (afterParam.isPresent() && after == null) {
            errors.add("after", "is not a cursor this API handed out (use the previous page's next)");
          }
          Instant since = AnalyticsRoutes.since(sinceParam, errors);
          long limit = errors.queryLong(limitParam, "limit", auditDefaultLimit, 1, auditMaxLimit);
          if (userId.isPresent() && !ApiKeys.validId(userId.get())) {
            errors.add("userId", "must be a user id");
          }
          if (action.isPresent() && (action.get().isBlank() || action.get().length() > 255)) {
            errors.add("action", "must be 1–255 characters: a route such as 'PUT /api/v1/roe', a permission, or an outcome");
          }
          if (errors.any()) {
            return problem(errors.problem());
          }
          return respond(audit.query(userId.orElse(null), action.orElse(null), since == null ? Instant.EPOCH : since,
              after, (int) limit + 1).thenApply(found -> {
                boolean more = found.size() > limit;
                List<AuditEntry> page = more ? found.subList(0, (int) limit) : found;
                AuditEntry last = more ? page.get(page.size() - 1) : null;
                return Json.response(StatusCodes.OK,
                    new AuditPage(page, last == null ? null : new Cursor(last.at(), Long.toString(last.id())).encode()));
              }));
        })))));
  }

  private Route stats() {
    return respond(users("", MAX_STATS_USERS + 1).thenCombine(
        audit.countsByOutcome(Instant.now().minus(Duration.ofHours(24))), (users, outcomes) -> {
          boolean truncated = users.size() > MAX_STATS_USERS;
          List<ApiUser.UserView> counted = truncated ? users.subList(0, MAX_STATS_USERS) : users;
          Map<String, Integer> byRole = new LinkedHashMap<>();
          for (Role role : Role.values()) {
            byRole.put(role.name(), 0);
          }
          int active = 0;
          int revoked = 0;
          for (ApiUser.UserView u : counted) {
            byRole.merge(u.role().name(), 1, Integer::sum);
            for (ApiUser.KeyView k : u.apiKeys()) {
              if (k.active()) {
                active++;
              } else {
                revoked++;
              }
            }
          }
          return Json.response(StatusCodes.OK, new StatsView(counted.size(), truncated, byRole, active, revoked, outcomes));
        }));
  }
}
