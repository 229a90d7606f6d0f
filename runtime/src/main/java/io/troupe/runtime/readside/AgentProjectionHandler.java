package io.troupe.runtime.readside;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.runtime.agent.Agent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps one {@code agent} row per agent, as {@link Agent.State} folds its events: each definition
 * is a new version (and makes the agent active again), a retirement only changes the status. The
 * row remembers the last event applied ({@code last_seq_nr}), so a replayed event changes nothing.
 */
public final class AgentProjectionHandler extends JdbcHandler<List<EventEnvelope<Agent.Event>>, ReadSideSession> {

  /** How definitions are stored in the row and read back by {@link AgentQueries}. */
  static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<Agent.Event>> envelopes) throws Exception {
    session.withConnection(c -> {
      for (EventEnvelope<Agent.Event> envelope : envelopes) {
        apply(c, SessionProjectionHandler.entityId(envelope.persistenceId()), envelope.sequenceNr(), envelope.event());
      }
      return null;
    });
  }

  private static void apply(Connection c, String name, long seqNr, Agent.Event event) throws Exception {
    if (event instanceof Agent.AgentDefined d) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO agent (name, status, version, definition, defined_at,"
          + " updated_at, last_seq_nr, owner, shared) VALUES (?, 'ACTIVE', 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
          + " status = 'ACTIVE', version = agent.version + 1, definition = EXCLUDED.definition,"
          + " updated_at = EXCLUDED.updated_at, last_seq_nr = EXCLUDED.last_seq_nr, owner = EXCLUDED.owner,"
          + " shared = EXCLUDED.shared WHERE agent.last_seq_nr < EXCLUDED.last_seq_nr")) {
        Sql.bind(ps, name, JSON.writeValueAsString(d.definition()), Sql.time(d.at()), Sql.time(d.at()), seqNr,
            d.owner(), d.shared());
        ps.executeUpdate();
      }
    } else if (event instanceof Agent.AgentRetired r) {
      update(c, "UPDATE agent SET status = 'RETIRED', updated_at = ?, last_seq_nr = ? WHERE name = ? AND last_seq_nr < ?",
          Sql.time(r.at()), seqNr, name, seqNr);
    }
  }

  private static void update(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Sql.bind(ps, values);
      ps.executeUpdate();
    }
  }
}
