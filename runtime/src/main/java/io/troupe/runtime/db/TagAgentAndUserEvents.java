package io.troupe.runtime.db;

import io.troupe.runtime.readside.Slices;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * V3: agents and API users get read tables ({@code agent}, {@code api_user}) kept by projections
 * of their events (session and audit lists need no new index: V1's indexes on start time, user
 * and agent serve their newest-first pages). Agent and user events were never tagged before,
 * so this tags every stored one with its slice ({@code agent-<i>}, {@code api-user-<i>}), and the
 * new projections start from the beginning of the journal: existing agents and users appear in
 * the tables at the first start. A Java migration because an entity's slice is Java's
 * {@code String.hashCode} ({@link Slices#of}); the repeatable {@link RetagEventsBySlice} moves
 * these tags too when the slice count changes later.
 */
final class TagAgentAndUserEvents implements JavaMigration {

  /** Persistence id prefixes and the base tags their events get. */
  static final List<String[]> ENTITIES = List.of(new String[] {"Agent|", "agent"}, new String[] {"ApiUser|", "api-user"});

  private final int slices;

  TagAgentAndUserEvents(int slices) {
    this.slices = slices;
  }

  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion("3");
  }

  @Override
  public String getDescription() {
    return "agent and api_user read tables; tag agent and user events";
  }

  @Override
  public Integer getChecksum() {
    return 3;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws SQLException {
    Connection c = context.getConnection();
    try (var s = c.createStatement()) {
      // name and user_id in byte order, as the journal's index listed them before (COLLATE "C").
      s.execute("CREATE TABLE agent (name TEXT COLLATE \"C\" PRIMARY KEY, status TEXT NOT NULL, version INTEGER NOT NULL,"
          + " definition TEXT NOT NULL, defined_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,"
          + " last_seq_nr BIGINT NOT NULL)");
      s.execute("CREATE TABLE api_user (user_id TEXT COLLATE \"C\" PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
          + " created_at TIMESTAMPTZ NOT NULL, api_keys TEXT NOT NULL DEFAULT '[]', last_seq_nr BIGINT NOT NULL)");
    }
    for (String[] entity : ENTITIES) {
      List<String> ids = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT DISTINCT persistence_id FROM event_journal WHERE persistence_id LIKE ?")) {
        ps.setString(1, entity[0] + "%");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO event_tag (event_id, tag)"
          + " SELECT ordering, ? FROM event_journal WHERE persistence_id = ? ON CONFLICT DO NOTHING")) {
        for (String id : ids) {
          ps.setString(1, Slices.tag(entity[1], id, slices));
          ps.setString(2, id);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }
}
