package io.troupe.runtime.readside;

import io.troupe.runtime.agent.Session;
import io.troupe.runtime.governance.cost.PricingTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Turns each model call of a session ({@link Session.LlmResponded}) into a {@code model_cost}
 * row charged to the session's user and agent, priced with the node's pricing table. Inserts
 * are keyed by (session, iteration) and do nothing on a replay.
 */
public final class CostProjectionHandler extends JdbcHandler<List<EventEnvelope<Session.Event>>, ReadSideSession> {

  private record Attribution(String userId, String agent, String provider, String model) {}

  private final PricingTable pricing;

  public CostProjectionHandler(PricingTable pricing) {
    this.pricing = pricing;
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<Session.Event>> envelopes) throws Exception {
    session.withConnection(c -> {
      Map<String, Attribution> known = new HashMap<>();
      for (EventEnvelope<Session.Event> envelope : envelopes) {
        String sessionId = SessionProjectionHandler.entityId(envelope.persistenceId());
        if (envelope.event() instanceof Session.SessionStarted s) {
          Attribution a = new Attribution(s.userId() == null ? Session.ANONYMOUS_USER : s.userId(), s.agentName(),
              s.definition() == null ? null : s.definition().provider(),
              s.definition() == null ? null : s.definition().model());
          started(c, sessionId, a);
          known.put(sessionId, a);
        } else if (envelope.event() instanceof Session.LlmResponded r) {
          Attribution a = known.computeIfAbsent(sessionId, id -> lookup(c, id));
          if (a != null) {
            call(c, sessionId, a, r);
          }
        }
      }
      return null;
    });
  }

  private static void started(Connection c, String sessionId, Attribution a) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_cost_session (session_id, user_id, agent,"
        + " provider, model) VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id) DO NOTHING")) {
      Sql.bind(ps, sessionId, a.userId(), a.agent(), a.provider(), a.model());
      ps.executeUpdate();
    }
  }

  private static Attribution lookup(Connection c, String sessionId) {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT user_id, agent, provider, model FROM model_cost_session WHERE session_id = ?")) {
      Sql.bind(ps, sessionId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Attribution(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the session's attribution: " + e.getMessage(), e);
    }
  }

  private void call(Connection c, String sessionId, Attribution a, Session.LlmResponded r) throws SQLException {
    long in = r.usage() == null ? 0 : r.usage().inputTokens();
    long out = r.usage() == null ? 0 : r.usage().outputTokens();
    PricingTable.Cost cost = pricing.cost(a.model(), in, out);
    double usd = r.cached() ? 0.0 : cost.costUsd(); // a cached reply was paid for by the call it repeats
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO model_cost (session_id, iteration, user_id, agent,"
        + " provider, model, priced_as, input_tokens, output_tokens, cost_usd, priced, cached, at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, iteration) DO NOTHING")) {
      Sql.bind(ps, sessionId, r.iteration(), a.userId(), a.agent(), a.provider(), a.model(), cost.pricedAs(),
          in, out, java.math.BigDecimal.valueOf(usd), cost.priced(), r.cached(), Sql.time(r.at()));
      ps.executeUpdate();
    }
  }
}
