package io.troupe.runtime.tool;

import java.time.Duration;

/**
 * Who is calling: the session and agent, the call's stable id, how long the call may take, and
 * the user the session runs for (null when none), so work a tool starts is charged to them.
 */
public record ToolContext(String sessionId, String agentName, String callId, Duration timeout, String userId) {

  public ToolContext(String sessionId, String agentName, String callId, Duration timeout) {
    this(sessionId, agentName, callId, timeout, null);
  }
}
