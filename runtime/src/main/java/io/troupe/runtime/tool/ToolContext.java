package io.troupe.runtime.tool;

import java.time.Duration;

/** Who is calling: the session and agent, the call's stable id, and how long the call may take. */
public record ToolContext(String sessionId, String agentName, String callId, Duration timeout) {}
