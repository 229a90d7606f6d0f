package io.troupe.runtime.db;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Lists entities straight from the journal by persistence-id prefix, with their last sequence
 * number. A recursive CTE walks the journal's primary-key index one distinct persistence id at a
 * time (a "loose index scan"), so the cost grows with the number of ids returned, not with the
 * number of events stored.
 */
public final class JournalIds {

  /** An entity id (the persistence id without its prefix) and its last event's sequence number. */
  public record Entry(String id, long lastSequenceNr) {}

  /** The ascending page query (public so the topic benchmark can run it raw, as its baseline). */
  public static final String ASCENDING = """
      WITH RECURSIVE ids(pid) AS (
        (SELECT persistence_id FROM event_journal
          WHERE persistence_id > ? AND persistence_id LIKE ? ORDER BY persistence_id LIMIT 1)
        UNION ALL
        SELECT (SELECT persistence_id FROM event_journal
                 WHERE persistence_id > ids.pid AND persistence_id LIKE ? ORDER BY persistence_id LIMIT 1)
          FROM ids WHERE ids.pid IS NOT NULL
      )
      SELECT pid, (SELECT max(sequence_number) FROM event_journal j WHERE j.persistence_id = ids.pid)
        FROM ids WHERE pid IS NOT NULL LIMIT ?
      """;

  private static final String DESCENDING = """
      WITH RECURSIVE ids(pid) AS (
        (SELECT persistence_id FROM event_journal
          WHERE persistence_id < ? AND persistence_id LIKE ? ORDER BY persistence_id DESC LIMIT 1)
        UNION ALL
        SELECT (SELECT persistence_id FROM event_journal
                 WHERE persistence_id < ids.pid AND persistence_id LIKE ? ORDER BY persistence_id DESC LIMIT 1)
          FROM ids WHERE ids.pid IS NOT NULL
      )
      SELECT pid, (SELECT max(sequence_number) FROM event_journal j WHERE j.persistence_id = ids.pid)
        FROM ids WHERE pid IS NOT NULL LIMIT ?
      """;

  private final Database database;

  public JournalIds(Database database) {
    this.database = database;
  }

  /**
   * Up to {@code limit} ids whose persistence id starts with {@code prefix}, in ascending order
   * after {@code after} ("" for the first page).
   */
  public CompletionStage<List<Entry>> after(String prefix, String after, int limit) {
    return query(ASCENDING, prefix, prefix + after, limit);
  }

  /** Up to {@code limit} ids with the prefix, in descending order (newest first for time-ordered ids). */
  public CompletionStage<List<Entry>> newestFirst(String prefix, int limit) {
    // Every id with the prefix sorts below prefix + U+FFFF in any collation PostgreSQL ships.
    return query(DESCENDING, prefix, prefix + '\uffff', limit);
  }

  private CompletionStage<List<Entry>> query(String sql, String prefix, String bound, int limit) {
    String like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    return database.query(c -> {
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setString(1, bound);
        s.setString(2, like);
        s.setString(3, like);
        s.setInt(4, limit);
        List<Entry> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(new Entry(rs.getString(1).substring(prefix.length()), rs.getLong(2)));
          }
        }
        return out;
      }
    });
  }
}
