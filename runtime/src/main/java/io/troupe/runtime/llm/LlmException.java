package io.troupe.runtime.llm;

/**
 * A failed model call. The message names the provider and, for HTTP failures, the status
 * ({@code status} is 0 otherwise: timeouts, connection errors, malformed responses).
 * Never carries an API key or a request body.
 */
public final class LlmException extends RuntimeException {

  private final String provider;
  private final int status;

  public LlmException(String provider, int status, String message, Throwable cause) {
    super(provider + (status > 0 ? " answered HTTP " + status + ": " : ": ") + message, cause);
    this.provider = provider;
    this.status = status;
  }

  public LlmException(String provider, int status, String message) {
    this(provider, status, message, null);
  }

  public String provider() {
    return provider;
  }

  public int status() {
    return status;
  }
}
