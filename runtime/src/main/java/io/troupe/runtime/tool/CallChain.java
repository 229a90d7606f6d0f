package io.troupe.runtime.tool;

import io.troupe.runtime.CborSerializable;
import java.util.ArrayList;
import java.util.List;

/**
 * How a session came to run: the session a user (or a topic message) started, and the agents of
 * the {@code call_agent} calls from it down to this session. Journaled on the session's start,
 * so a session resumed on another node still knows it, and given to every tool it calls.
 *
 * @param rootSessionId   the session at the top of the chain (this session's own id for a root)
 * @param parentSessionId the session whose {@code call_agent} started this one; null for a root
 * @param rootKeyUserId   the user whose API key started the root session (an administrator may start
 *                        one for another user, who owns it), or null when no key did (a topic message's)
 * @param rootKeyId       the id of that key, or null: tool calls anywhere in the chain count against
 *                        that key's rate limits, as the HTTP routes they mirror would
 * @param agents          the agent of each session from the root down to this one, this one last
 */
public record CallChain(String rootSessionId, String parentSessionId, String rootKeyUserId, String rootKeyId,
                        List<String> agents) implements CborSerializable {

  public CallChain {
    agents = agents == null ? List.of() : List.copyOf(agents);
  }

  /** The chain of a session started with the API key {@code keyId} of {@code keyUserId}: itself alone. */
  public static CallChain root(String sessionId, String keyUserId, String keyId, String agentName) {
    return new CallChain(sessionId, null, keyUserId, keyId, List.of(agentName));
  }

  /** The chain of a session no API key started (a topic message's, or one journaled before chains were). */
  public static CallChain root(String sessionId, String agentName) {
    return root(sessionId, null, null, agentName);
  }

  /** How many {@code call_agent} calls lie between the root and this session: 0 for the root. */
  public int depth() {
    return Math.max(0, agents.size() - 1);
  }

  /** True when {@code agentName} runs anywhere on this chain (calling it would be a cycle). */
  public boolean contains(String agentName) {
    return agents.contains(agentName);
  }

  /** The chain of a session this one's {@code call_agent} starts. */
  public CallChain child(String callerSessionId, String agentName) {
    List<String> next = new ArrayList<>(agents.size() + 1);
    next.addAll(agents);
    next.add(agentName);
    return new CallChain(rootSessionId, callerSessionId, rootKeyUserId, rootKeyId, next);
  }

  /** As users read it: "planner → scout → helper". */
  public String describe() {
    return String.join(" → ", agents);
  }
}
