package io.troupe.runtime.db;

import io.troupe.runtime.readside.Slices;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves stored events and projection offsets to the read side's current slices ({@link Slices}):
 * events tagged with a sliced tag's old form (the single tag {@code session} of the layout before
 * slices, or {@code session-<i>} of another slice count) get the tag {@code session-<slice>} that
 * their entity writes today, and each projection's offsets move to the new slice keys.
 *
 * <p>A Java migration, not an SQL one with a {@code ${slices}} placeholder, because an entity's
 * slice is Java's {@link String#hashCode()} of its persistence id, which SQL does not have (an
 * SQL copy would be a second definition to keep equal to {@link Slices#of}). It is a repeatable
 * migration whose checksum is the slice count, so Flyway runs it, under its lock and in one
 * transaction, once when first seen and again whenever the configured count changes, never on
 * an ordinary start; it is idempotent in any case (an event already in its slice is not touched).
 *
 * <p>Offsets: a projection's offset for a tag is the journal {@code ordering} up to which it has
 * applied that tag's events. Each new slice starts from the smallest offset among the old tags
 * that hold events (0, i.e. from the start, for an old tag without an offset): every event at or
 * below it was applied, so nothing is skipped; events above it that an old slice had applied
 * are applied again, which the read side's handlers make harmless (keyed upserts, guarded
 * updates, ON CONFLICT DO NOTHING). From the single-tag layout it is exactly the old offset.
 */
public final class RetagEventsBySlice implements JavaMigration {

  private static final Logger log = LoggerFactory.getLogger(RetagEventsBySlice.class);

  /**
   * The base tags of every tagged entity ({@code Session.TAG}, {@code Agent.TAG}, {@code ApiUser.TAG},
   * and {@code DeconflictionCoordinator.TAG} of the agents module, which this module cannot see).
   */
  public static final List<String> TAGS = List.of("session", "deconfliction", "agent", "api-user");

  private static final String SEQUENCE_MANIFEST = "SEQ";

  private final int slices;

  public RetagEventsBySlice(int slices) {
    this.slices = slices;
  }

  @Override
  public MigrationVersion getVersion() {
    return null; // repeatable
  }

  @Override
  public String getDescription() {
    return "retag events by slice";
  }

  @Override
  public Integer getChecksum() {
    return slices;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws SQLException {
    Connection c = context.getConnection();
    for (String tag : TAGS) {
      retag(c, tag);
    }
  }

  private void retag(Connection c, String baseTag) throws SQLException {
    String family = "^" + baseTag + "(-[0-9]+)?$"; // the base tag alone or any of its slices
    Set<String> current = new HashSet<>(Slices.tags(baseTag, slices));

    // Each tagged entity with the tag its events carry now (several only after an interrupted
    // change, which a transaction rules out, but handled alike).
    Set<String> storedTags = new HashSet<>();
    Map<String, String> moves = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT j.persistence_id, t.tag FROM event_tag t"
        + " JOIN event_journal j ON j.ordering = t.event_id WHERE t.tag ~ ? GROUP BY 1, 2")) {
      ps.setString(1, family);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String persistenceId = rs.getString(1);
          String tag = rs.getString(2);
          storedTags.add(tag);
          String target = Slices.tag(baseTag, persistenceId, slices);
          if (!tag.equals(target)) {
            moves.put(persistenceId, target);
          }
        }
      }
    }
    Map<String, Map<String, Long>> offsets = offsets(c, family);
    boolean staleOffsets = offsets.values().stream().anyMatch(keys -> !current.containsAll(keys.keySet()));
    if (moves.isEmpty() && !staleOffsets) {
      return;
    }

    long events = moveEvents(c, family, moves);
    for (Map.Entry<String, Map<String, Long>> projection : offsets.entrySet()) {
      long from = storedTags.stream()
          .mapToLong(tag -> projection.getValue().getOrDefault(tag, 0L))
          .min().orElse(0L);
      moveOffsets(c, projection.getKey(), baseTag, family, from);
    }
    log.info("Read side: {} events tagged {} moved to {} slices; offsets of {} carried over", events, baseTag,
        slices, offsets.keySet());
  }

  /** Offsets per projection name and key, for the keys of this tag family. */
  private static Map<String, Map<String, Long>> offsets(Connection c, String family) throws SQLException {
    Map<String, Map<String, Long>> offsets = new TreeMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT projection_name, projection_key, current_offset, manifest"
        + " FROM pekko_projection_offset_store WHERE projection_key ~ ?")) {
      ps.setString(1, family);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!SEQUENCE_MANIFEST.equals(rs.getString(4))) {
            throw new IllegalStateException("projection " + rs.getString(1) + " keeps an offset of type "
                + rs.getString(4) + " for " + rs.getString(2) + "; only journal orderings (SEQ) can be moved");
          }
          offsets.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getString(2), Long.parseLong(rs.getString(3)));
        }
      }
    }
    return offsets;
  }

  private static long moveEvents(Connection c, String family, Map<String, String> moves) throws SQLException {
    if (moves.isEmpty()) {
      return 0;
    }
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TEMPORARY TABLE troupe_retag (persistence_id VARCHAR(512) COLLATE \"C\" PRIMARY KEY,"
          + " tag VARCHAR(256) NOT NULL) ON COMMIT DROP");
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO troupe_retag VALUES (?, ?)")) {
      int batched = 0;
      for (Map.Entry<String, String> move : moves.entrySet()) {
        ps.setString(1, move.getKey());
        ps.setString(2, move.getValue());
        ps.addBatch();
        if (++batched % 1000 == 0) {
          ps.executeBatch();
        }
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE event_tag t SET tag = r.tag FROM event_journal j, troupe_retag r"
        + " WHERE j.ordering = t.event_id AND r.persistence_id = j.persistence_id AND t.tag ~ ? AND t.tag <> r.tag")) {
      ps.setString(1, family);
      long events = ps.executeLargeUpdate();
      try (Statement s = c.createStatement()) {
        s.execute("DROP TABLE troupe_retag");
      }
      return events;
    }
  }

  /**
   * Replaces the projection's offsets for this tag family by one per current slice, each at
   * {@code from} (none when 0: the slice starts from the beginning). A pause set on an old key
   * holds for every new one.
   */
  private void moveOffsets(Connection c, String projection, String baseTag, String family, long from) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM pekko_projection_offset_store WHERE projection_name = ? AND projection_key ~ ?")) {
      ps.setString(1, projection);
      ps.setString(2, family);
      ps.executeUpdate();
    }
    List<String> keys = Slices.tags(baseTag, slices);
    if (from > 0) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO pekko_projection_offset_store (projection_name,"
          + " projection_key, current_offset, manifest, mergeable, last_updated) VALUES (?, ?, ?, ?, false, ?)")) {
        for (String key : keys) {
          ps.setString(1, projection);
          ps.setString(2, key);
          ps.setString(3, Long.toString(from));
          ps.setString(4, SEQUENCE_MANIFEST);
          ps.setLong(5, System.currentTimeMillis());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    boolean paused;
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM pekko_projection_management"
        + " WHERE projection_name = ? AND projection_key ~ ? AND NOT (projection_key = ANY (?)) RETURNING paused")) {
      ps.setString(1, projection);
      ps.setString(2, family);
      ps.setArray(3, c.createArrayOf("varchar", keys.toArray()));
      paused = false;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          paused |= rs.getBoolean(1);
        }
      }
    }
    if (paused) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO pekko_projection_management (projection_name,"
          + " projection_key, paused, last_updated) VALUES (?, ?, true, ?)"
          + " ON CONFLICT (projection_name, projection_key) DO UPDATE SET paused = true")) {
        for (String key : keys) {
          ps.setString(1, projection);
          ps.setString(2, key);
          ps.setLong(3, System.currentTimeMillis());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }
}
