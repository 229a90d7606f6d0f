package io.troupe.runtime.readside;

import io.troupe.runtime.agent.Agent;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.db.Database;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Reads {@code agent}, beside the projection that fills it: agents in name order, a page at a time. */
public final class AgentQueries {

  private final Database database;

  public AgentQueries(Database database) {
    this.database = database;
  }

  /**
   * Up to {@code limit} agents whose names sort after {@code after} ("" for the first page), whole:
   * a door shows each through {@link io.troupe.runtime.agent.Ownership#visibleTo}.
   */
  public CompletionStage<List<Agent.AgentView>> list(String after, int limit) {
    return database.query(c -> {
      List<Agent.AgentView> agents = new ArrayList<>();
      try (ResultSet rs = Sql.select(c, "SELECT name, status, version, definition, defined_at, updated_at, owner, shared"
          + " FROM agent WHERE name > ? ORDER BY name LIMIT ?", after, limit)) {
        while (rs.next()) {
          agents.add(new Agent.AgentView(rs.getString(1), Agent.Status.valueOf(rs.getString(2)), rs.getInt(3),
              read(rs.getString(4)), Sql.instant(rs, 5), Sql.instant(rs, 6), rs.getString(7), rs.getBoolean(8)));
        }
      }
      return agents;
    });
  }

  /**
   * Up to {@code limit} agents a user may run, in name order after {@code after} ("" for the first
   * page): not retired, and shared or owned by {@code runner} (null: every agent, for an
   * administrator), as {@link io.troupe.runtime.agent.Ownership} allows runs.
   */
  public CompletionStage<List<Agent.AgentView>> runnable(String runner, String after, int limit) {
    return database.query(c -> {
      List<Agent.AgentView> agents = new ArrayList<>();
      String columns = "SELECT name, status, version, definition, defined_at, updated_at, owner, shared FROM agent";
      try (ResultSet rs = runner == null
          ? Sql.select(c, columns + " WHERE status = 'ACTIVE' AND name > ? ORDER BY name LIMIT ?", after, limit)
          : Sql.select(c, columns + " WHERE status = 'ACTIVE' AND (shared OR owner = ?) AND name > ? ORDER BY name LIMIT ?",
              runner, after, limit)) {
        while (rs.next()) {
          agents.add(new Agent.AgentView(rs.getString(1), Agent.Status.valueOf(rs.getString(2)), rs.getInt(3),
              read(rs.getString(4)), Sql.instant(rs, 5), Sql.instant(rs, 6), rs.getString(7), rs.getBoolean(8)));
        }
      }
      return agents;
    });
  }

  /** Agents {@code owner} owns and has not retired, as the read table holds them now. */
  public CompletionStage<Integer> countActiveOwnedBy(String owner) {
    return database.query(c -> {
      try (ResultSet rs = Sql.select(c, "SELECT count(*) FROM agent WHERE owner = ? AND status = 'ACTIVE'", owner)) {
        rs.next();
        return rs.getInt(1);
      }
    });
  }

  private static AgentDefinition read(String json) {
    try {
      return AgentProjectionHandler.JSON.readValue(json, AgentDefinition.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable agent definition in the agent table", e);
    }
  }
}
