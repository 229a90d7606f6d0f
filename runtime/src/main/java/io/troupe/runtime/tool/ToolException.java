package io.troupe.runtime.tool;

/** A tool's failure, reported to the model as the call's error (the session goes on). */
public final class ToolException extends RuntimeException {
  public ToolException(String message) {
    super(message);
  }

  public ToolException(String message, Throwable cause) {
    super(message, cause);
  }
}
