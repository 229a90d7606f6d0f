package io.troupe.runtime.tool;

import java.time.Duration;

/**
 * Who is calling: the session and agent, the call's stable id, how long the call may take, the
 * user the session runs for (null when none), so work a tool starts is charged to them, and the
 * session's {@link CallChain} (null outside a session), which says how deep it runs in
 * {@code call_agent} calls and which API key's rate limits its writes count against.
 */
public record ToolContext(String sessionId, String agentName, String callId, Duration timeout, String userId,
                          CallChain chain) {

  public ToolContext(String sessionId, String agentName, String callId, Duration timeout, String userId) {
    this(sessionId, agentName, callId, timeout, userId, null);
  }

  public ToolContext(String sessionId, String agentName, String callId, Duration timeout) {
    this(sessionId, agentName, callId, timeout, null, null);
  }
}
