package io.troupe.runtime.agent;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Session ids are "{agent}~{13-digit epoch millis}-{8 hex}" (16 hex for sessions started by topic messages): they sort by agent and then by start
 * time, so an agent's recent sessions are one descending index range of the journal, and the
 * agent of a session is visible in its id.
 */
public final class SessionIds {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,128}~\\d{13}-[0-9a-f]{8}([0-9a-f]{8})?");

  private SessionIds() {}

  public static String next(String agentName) {
    return next(agentName, java.time.Clock.systemUTC());
  }

  /** A new id started at {@code clock}'s time (the node's clock). */
  public static String next(String agentName, java.time.Clock clock) {
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    return agentName + "~" + String.format("%013d", clock.millis()) + "-" + HexFormat.of().formatHex(random);
  }

  /** A deterministic id for the session a topic message starts, so a redelivered message finds it. */
  public static String forMessage(String agentName, long publishedAtMillis, String topic, long offset) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest((topic + "#" + offset).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      // 64 bits: two messages of one millisecond colliding would make the second look handled.
      return agentName + "~" + String.format("%013d", publishedAtMillis) + "-"
          + HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static boolean valid(String sessionId) {
    return sessionId != null && VALID.matcher(sessionId).matches();
  }

  public static String agentOf(String sessionId) {
    return sessionId.substring(0, sessionId.indexOf('~'));
  }
}
