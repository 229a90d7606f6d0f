package io.troupe.runtime.governance;

/**
 * Rate-limit classes of HTTP routes: each route belongs to one, and a key's limits are counted
 * per class. The lower-case name is the {@code endpoint_class} metric label and config key.
 */
public enum EndpointClass {
  /** Starts work that calls a model (sessions). */
  MODEL_RUNNING,
  /** Deconfliction requests and releases, ROE changes. */
  DECONFLICTION,
  /** Every read, and cheap writes such as publishing to a topic. */
  READS,
  /** Security, budgets and admin views. */
  ADMIN;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
