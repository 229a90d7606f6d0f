package io.troupe.runtime.readside;

import io.troupe.runtime.db.Database;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.governance.security.ApiUser;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Reads {@code api_user}, beside the projection that fills it: users in id order, a page at a time. */
public final class UserQueries {

  private final Database database;

  public UserQueries(Database database) {
    this.database = database;
  }

  /** Up to {@code limit} users whose ids sort after {@code after} ("" for the first page). */
  public CompletionStage<List<ApiUser.UserView>> list(String after, int limit) {
    return database.query(c -> {
      List<ApiUser.UserView> users = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT user_id, name, role, created_at, api_keys FROM api_user"
          + " WHERE user_id > ? ORDER BY user_id LIMIT ?", after, limit)) {
        while (rs.next()) {
          List<ApiUser.KeyView> keys = new ArrayList<>(
              UserProjectionHandler.JSON.readValue(rs.getString(5), UserProjectionHandler.KEYS));
          keys.sort(Comparator.comparing(ApiUser.KeyView::createdAt));
          users.add(new ApiUser.UserView(rs.getString(1), rs.getString(2), Role.valueOf(rs.getString(3)),
              Sql.instant(rs, 4), keys));
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException("unreadable keys in the api_user table", e);
      }
      return users;
    });
  }
}
