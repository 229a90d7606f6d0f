package io.troupe.runtime.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.serialization.Serialization;
import scala.util.Try;

/**
 * One entity's journaled events, read with a single SELECT of the four columns an event needs (the
 * read journal's by-persistence-id query selects every column and runs a Slick stream per read:
 * several times the query's own cost, BENCHMARKS.md "reads") and deserialized here, row by row.
 * A row that does not deserialize is returned as a failed {@link Try} where it is, so a reader can
 * skip it and go on. Topics' pages and sessions' reads share it.
 */
public final class JournalRows {

  private static final String SELECT = "SELECT sequence_number, event_ser_id, event_ser_manifest, event_payload"
      + " FROM event_journal WHERE persistence_id = ? AND sequence_number >= ? AND sequence_number <= ?"
      + " AND deleted = false ORDER BY sequence_number LIMIT ?";

  /** One row: its sequence number and the event, or why it could not be deserialized. */
  public record Row(long seqNr, Try<Object> event) {}

  private JournalRows() {}

  /** Up to {@code limit} events of {@code persistenceId} from sequence number {@code from}, in order. */
  public static List<Row> read(Connection c, Serialization serialization, String persistenceId, long from, int limit)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(SELECT)) {
      s.setString(1, persistenceId);
      s.setLong(2, from);
      s.setLong(3, from > Long.MAX_VALUE - limit ? Long.MAX_VALUE : from + limit - 1);
      s.setInt(4, limit);
      List<Row> rows = new ArrayList<>(Math.min(limit, 1000));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          rows.add(new Row(rs.getLong(1), serialization.deserialize(rs.getBytes(4), rs.getInt(2), rs.getString(3))));
        }
      }
      return rows;
    }
  }
}
