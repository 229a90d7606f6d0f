package io.troupe.runtime.governance.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The shape of API keys: {@code trp.<userId>.<keyId>.<secret>}, the secret 32 random bytes
 * (256 bits) in unpadded base64url. The user and key ids in the clear let a node find the one
 * digest to compare against without an index of all keys; the secret is what proves possession.
 * Any other string is taken as the operator's admin token ({@code TROUPE_ADMIN_TOKEN}), which is
 * the admin user's bootstrap key.
 */
public final class ApiKeys {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final int SECRET_BYTES = 32;

  /** Where a presented key points: whose it is and which of their keys. */
  public record KeyRef(String userId, String keyId) {}

  private ApiKeys() {}

  /** A new key for the user and key id. */
  public static String generate(String userId, String keyId) {
    byte[] secret = new byte[SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return "trp." + userId + "." + keyId + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** A fresh random id for a user ({@code u-…}) or a key ({@code k-…}): 64 random bits in hex. */
  public static String newId(String prefix) {
    byte[] bytes = new byte[8];
    RANDOM.nextBytes(bytes);
    return prefix + HexFormat.of().formatHex(bytes);
  }

  public static boolean validId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /** The user and key a presented key names; any string not in our shape is the admin token. */
  public static KeyRef refOf(String presented) {
    return parse(presented).orElse(new KeyRef(ApiUser.ADMIN_ID, ApiUser.BOOTSTRAP_KEY_ID));
  }

  static Optional<KeyRef> parse(String presented) {
    String[] parts = presented.split("\\.", -1);
    if (parts.length == 4 && parts[0].equals("trp") && validId(parts[1]) && validId(parts[2]) && !parts[3].isEmpty()) {
      return Optional.of(new KeyRef(parts[1], parts[2]));
    }
    return Optional.empty();
  }

  /** SHA-256 of the whole key, hex: the only form in which keys are stored. */
  public static String digest(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Compares two digests in time independent of where they differ. */
  public static boolean sameDigest(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
  }
}
