package io.troupe.runtime.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An exact-match cache of model replies, per node, bounded (least recently used out). Only
 * deterministic calls are cached: temperature 0. The key is a digest of provider, model,
 * messages and tools, so nothing of the conversation is kept beyond the reply itself.
 */
public final class ResponseCache {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Map<String, LlmResponse> entries;

  public ResponseCache(int maxEntries) {
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, LlmResponse> eldest) {
        return size() > maxEntries;
      }
    };
  }

  public static boolean cacheable(LlmRequest request) {
    return request.temperature() == 0.0;
  }

  public synchronized Optional<LlmResponse> get(String provider, LlmRequest request) {
    return Optional.ofNullable(entries.get(key(provider, request)));
  }

  public synchronized void put(String provider, LlmRequest request, LlmResponse response) {
    entries.put(key(provider, request), response);
  }

  static String key(String provider, LlmRequest request) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(provider.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(request.model().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(JSON.writeValueAsBytes(request.messages()));
      sha.update((byte) 0);
      sha.update(JSON.writeValueAsBytes(request.tools()));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot build a cache key", e);
    }
  }
}
