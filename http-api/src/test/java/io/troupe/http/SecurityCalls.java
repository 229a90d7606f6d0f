package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Users and keys made through the API, as an administrator would. */
final class SecurityCalls {

  /** Every key a test obtained, so log checks can look for each of them. */
  static final List<String> ISSUED_KEYS = new CopyOnWriteArrayList<>();
  /** The same, kept for NoSecretsInLogsIT, which reads the whole suite's log after the unit tests. */
  static final java.nio.file.Path ISSUED_KEYS_FILE = java.nio.file.Path.of("target/test-logs/issued-keys.txt");

  record UserKey(String userId, String keyId, String key) {}

  private SecurityCalls() {}

  /** Creates a user with the role and gives it a key; {@code admin} must be an admin's client. */
  static UserKey userWithKey(HttpClientForTests admin, String name, String role) {
    HttpClientForTests.Answer created = admin.postJson("/api/v1/security/users",
        "{\"name\": \"" + name + "\", \"role\": \"" + role + "\"}");
    assertEquals(201, created.status(), created::body);
    String userId = created.json().get("id").asText();
    return newKey(admin, userId);
  }

  /** The two USERs the ownership tests need: an owner ("Alice") and another user ("Bob"). */
  record TwoUsers(UserKey alice, UserKey bob) {}

  static TwoUsers aliceAndBob(HttpClientForTests admin) {
    return new TwoUsers(userWithKey(admin, "Alice", "USER"), userWithKey(admin, "Bob", "USER"));
  }

  static UserKey newKey(HttpClientForTests admin, String userId) {
    HttpClientForTests.Answer issued = admin.postJson("/api/v1/security/users/" + userId + "/api-keys",
        "{\"label\": \"test\"}");
    assertEquals(201, issued.status(), issued::body);
    JsonNode body = issued.json();
    String key = body.get("apiKey").asText();
    ISSUED_KEYS.add(key);
    try {
      java.nio.file.Files.createDirectories(ISSUED_KEYS_FILE.getParent());
      java.nio.file.Files.writeString(ISSUED_KEYS_FILE, key + "\n", java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new UserKey(userId, body.get("keyId").asText(), key);
  }
}
