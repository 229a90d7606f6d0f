package io.troupe.runtime.readside;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.troupe.runtime.governance.security.ApiUser;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Keeps one {@code api_user} row per user, as {@link ApiUser.State} folds its events: its keys are
 * a JSON list of {@link ApiUser.KeyView} (id, label, created, revoked — never a digest), in the
 * order they were issued. The row remembers the last event applied, so a replay changes nothing.
 */
public final class UserProjectionHandler extends JdbcHandler<List<EventEnvelope<ApiUser.Event>>, ReadSideSession> {

  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  static final TypeReference<List<ApiUser.KeyView>> KEYS = new TypeReference<>() {};

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<ApiUser.Event>> envelopes) throws Exception {
    session.withConnection(c -> {
      for (EventEnvelope<ApiUser.Event> envelope : envelopes) {
        apply(c, SessionProjectionHandler.entityId(envelope.persistenceId()), envelope.sequenceNr(), envelope.event());
      }
      return null;
    });
  }

  private static void apply(Connection c, String userId, long seqNr, ApiUser.Event event) throws Exception {
    if (event instanceof ApiUser.UserCreated created) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO api_user (user_id, name, role, created_at, last_seq_nr)"
          + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING")) {
        Sql.bind(ps, userId, created.name(), created.role().name(), Sql.time(created.at()), seqNr);
        ps.executeUpdate();
      }
      return;
    }
    List<ApiUser.KeyView> keys;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT api_keys, last_seq_nr FROM api_user WHERE user_id = ? FOR UPDATE")) {
      ps.setString(1, userId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getLong(2) >= seqNr) {
          return; // applied already (or no such user, which the entity never journals)
        }
        keys = new ArrayList<>(JSON.readValue(rs.getString(1), KEYS));
      }
    }
    String role = null;
    if (event instanceof ApiUser.RoleChanged changed) {
      role = changed.role().name();
    } else if (event instanceof ApiUser.KeyIssued issued) {
      keys.add(new ApiUser.KeyView(issued.keyId(), issued.label(), issued.at(), null));
    } else if (event instanceof ApiUser.KeyRevoked revoked) {
      keys.replaceAll(k -> k.keyId().equals(revoked.keyId())
          ? new ApiUser.KeyView(k.keyId(), k.label(), k.createdAt(), revoked.at()) : k);
    } else if (event instanceof ApiUser.BootstrapKeyReplaced replaced) {
      keys.removeIf(k -> k.keyId().equals(ApiUser.BOOTSTRAP_KEY_ID));
      keys.add(new ApiUser.KeyView(ApiUser.BOOTSTRAP_KEY_ID, "bootstrap", replaced.at(), null));
    }
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE api_user SET role = coalesce(?, role), api_keys = ?, last_seq_nr = ? WHERE user_id = ?")) {
      Sql.bind(ps, role, JSON.writeValueAsString(keys), seqNr, userId);
      ps.executeUpdate();
    }
  }
}
