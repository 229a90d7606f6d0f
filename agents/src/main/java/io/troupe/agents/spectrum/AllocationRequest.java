package io.troupe.agents.spectrum;

import io.troupe.runtime.CborSerializable;

/**
 * An asset's request for spectrum: who asks, what emission, and why (purpose may be null).
 * {@code requestKey} (may be null; absent in events stored before it existed) makes a retried
 * request return the first decision instead of being decided again: a tool passes its call id,
 * an HTTP client its Idempotency-Key. Keys are the requester's own: the same key from two users
 * is two requests. {@code requestedBy} is the API user the request was made for (the caller, or
 * the session's owner for an agent's tool call), set by {@link Spectrum}; null in events stored
 * before requesters were recorded.
 */
public record AllocationRequest(String assetRid, Emission emission, String purpose, String requestKey,
                                String requestedBy) implements CborSerializable {

  public AllocationRequest(String assetRid, Emission emission, String purpose) {
    this(assetRid, emission, purpose, null, null);
  }

  public AllocationRequest(String assetRid, Emission emission, String purpose, String requestKey) {
    this(assetRid, emission, purpose, requestKey, null);
  }

  /** The same request, made for {@code userId}. */
  public AllocationRequest requestedBy(String userId) {
    return new AllocationRequest(assetRid, emission, purpose, requestKey, userId);
  }

  /**
   * The key a retry is recognised by: the request key within its requester's own keys, so one
   * user's key never answers another's request. Null without a request key.
   */
  String scopedKey() {
    if (requestKey == null) {
      return null;
    }
    // User ids never contain a newline, so distinct (user, key) pairs never meet.
    return requestedBy == null ? requestKey : requestedBy + "\n" + requestKey;
  }
}
