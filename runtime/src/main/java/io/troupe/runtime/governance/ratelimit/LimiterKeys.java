package io.troupe.runtime.governance.ratelimit;

/**
 * The ids whose buckets {@link RateLimits#acquire} takes from. The HTTP edge and the tools a
 * session calls use these same ids, so a write costs the same allowance whichever door it came
 * through.
 */
public final class LimiterKeys {

  private LimiterKeys() {}

  /** An API key's buckets. Key ids are unique per user; with the user id, unique in the cluster. */
  public static String ofKey(String userId, String keyId) {
    return userId + "." + keyId;
  }

  /**
   * The buckets of a user's sessions that no API key started (a message on a subscribed topic):
   * one allowance per user, with the same limits as a key's. "~" is in no key id.
   */
  public static String ofSessionsWithoutKey(String userId) {
    return userId + ".~sessions";
  }
}
