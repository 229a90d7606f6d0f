package io.troupe.runtime.readside;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where a page of a newest-first list ends: the last row's time and id (a session id, an audit
 * entry's number), handed to clients as one opaque URL-safe token ({@code next}) that they give
 * back as {@code after}. Keyset paging: a page costs what it returns, however deep it is, and rows
 * added meanwhile neither repeat nor go missing.
 */
public record Cursor(Instant at, String id) {

  private static final int MAX_ID = 512;

  public String encode() {
    long micros = TimeUnit.SECONDS.toMicros(at.getEpochSecond()) + at.getNano() / 1000;
    return Base64.getUrlEncoder().withoutPadding().encodeToString((micros + ":" + id).getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor a token names, or empty when it is not one this API could have handed out. */
  public static Optional<Cursor> decode(String token) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      int colon = text.indexOf(':');
      long micros = Long.parseLong(text.substring(0, colon));
      String id = text.substring(colon + 1);
      if (id.isEmpty() || id.length() > MAX_ID || id.indexOf('\u0000') >= 0) {
        return Optional.empty();
      }
      return Optional.of(new Cursor(Instant.EPOCH.plus(micros, ChronoUnit.MICROS), id));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
