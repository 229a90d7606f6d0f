package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Users and keys made through the API, as an administrator would. */
final class SecurityCalls {

  /** Every key a test obtained, so log checks can look for each of them. */
  static final List<String> ISSUED_KEYS = new CopyOnWriteArrayList<>();

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

  static UserKey newKey(HttpClientForTests admin, String userId) {
    HttpClientForTests.Answer issued = admin.postJson("/api/v1/security/users/" + userId + "/api-keys",
        "{\"label\": \"test\"}");
    assertEquals(201, issued.status(), issued::body);
    JsonNode body = issued.json();
    String key = body.get("apiKey").asText();
    ISSUED_KEYS.add(key);
    return new UserKey(userId, body.get("keyId").asText(), key);
  }
}
