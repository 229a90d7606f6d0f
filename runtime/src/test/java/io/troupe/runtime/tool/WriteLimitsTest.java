package io.troupe.runtime.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.agent.AgentDefinition;
import io.troupe.runtime.agent.Agents;
import io.troupe.runtime.agent.SessionState;
import io.troupe.runtime.agent.SessionView;
import io.troupe.runtime.agent.Sessions;
import io.troupe.runtime.broker.Topics;
import io.troupe.runtime.governance.EndpointClass;
import io.troupe.runtime.governance.GovernanceMetrics;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import io.troupe.runtime.governance.ratelimit.LimiterKeys;
import io.troupe.runtime.governance.ratelimit.RateLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tool calls that write take their tokens from the rate-limit buckets of the HTTP routes they
 * mirror, for the API key that started the root session: one model reply cannot publish more than
 * the key may publish over HTTP (issue 13: 7,000 publishes from one request), and a call chain's
 * children spend the root key's allowance. The node's limits are small here, so a reply can pass them.
 */
@TroupeNodeTest(config = {
    "troupe.rate-limits.classes.reads.per-minute = " + WriteLimitsTest.READS_PER_MINUTE,
    "troupe.rate-limits.classes.reads.per-hour = off",
    "troupe.rate-limits.classes.model_running.per-minute = " + WriteLimitsTest.RUNS_PER_MINUTE,
    "troupe.rate-limits.classes.model_running.per-hour = off"})
class WriteLimitsTest {

  static final int READS_PER_MINUTE = 5;
  static final int RUNS_PER_MINUTE = 2;
  private static final Duration WITHIN = Duration.ofSeconds(30);

  @FromNode private static NodeFixture fixture;

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static AgentDefinition scripted(List<String> tools, List<AgentDefinition.ScriptedReply> script) {
    return new AgentDefinition("a writer", null, "scripted", "script", 0, 4, 30, tools, List.of(), script);
  }

  /** One reply calling {@code tool} {@code times} times with {@code arguments(i)}, then an answer. */
  private static List<AgentDefinition.ScriptedReply> callsThenAnswer(String tool, int times,
                                                                     java.util.function.IntFunction<String> arguments) {
    List<AgentDefinition.ScriptedToolCall> calls = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      calls.add(new AgentDefinition.ScriptedToolCall(tool, arguments.apply(i)));
    }
    return List.of(new AgentDefinition.ScriptedReply("writing", calls), new AgentDefinition.ScriptedReply("done", List.of()));
  }

  private static SessionView runToEnd(String agent, Principal caller) throws Exception {
    Sessions sessions = Sessions.get(fixture.node.system());
    String id = await(sessions.start(agent, "go", new Sessions.Origin.Caller(caller, null))).sessionId();
    return fixture.testKit.createTestProbe().awaitAssert(WITHIN, () -> {
      SessionView v = await(sessions.view(id, 0, 100));
      assertTrue(SessionState.Status.valueOf(v.status()).finished(), () -> "still " + v.status());
      return v;
    });
  }

  private static double refused(EndpointClass cls) {
    return GovernanceMetrics.get(fixture.node.system()).rateLimitedRequests.labels(cls.label()).get();
  }

  @Test
  void aReplyOfManyPublishesPublishesOnlyTheKeysAllowanceAndTheSessionGoesOn() throws Exception {
    int calls = 12;
    await(Agents.get(fixture.node.system()).define("flooder", scripted(List.of(PublishToTopicTool.NAME),
        callsThenAnswer(PublishToTopicTool.NAME, calls,
            i -> "{\"topic\":\"flood\",\"messageType\":\"n\",\"content\":" + i + "}"))));
    double refusedBefore = refused(EndpointClass.READS);

    SessionView done = runToEnd("flooder", new Principal("u-flood", "k-flood", Role.USER));

    assertEquals("COMPLETED", done.status(), done::toString);
    assertEquals("done", done.output());
    List<SessionState.ToolCallRecord> ok = done.toolCalls().stream()
        .filter(c -> SessionState.ToolCallRecord.OK.equals(c.outcome())).toList();
    List<SessionState.ToolCallRecord> failed = done.toolCalls().stream()
        .filter(c -> SessionState.ToolCallRecord.ERROR.equals(c.outcome())).toList();
    assertEquals(READS_PER_MINUTE, ok.size(), done::toString);
    assertEquals(calls - READS_PER_MINUTE, failed.size(), done::toString);
    for (SessionState.ToolCallRecord refused : failed) {
      assertTrue(refused.error().startsWith("rate limit exceeded for publishing to topic flood: "
          + READS_PER_MINUTE + " per 1 minute for reads, counted against the API key that started this session;"
          + " retry after "), refused.error());
    }
    assertEquals(READS_PER_MINUTE, await(Topics.get(fixture.node.system()).info("flood")).lastOffset(),
        "only the allowance's worth was published");
    assertEquals(refusedBefore + calls - READS_PER_MINUTE, refused(EndpointClass.READS), 1e-9,
        "each refusal counts in rate_limited_requests_total{endpoint_class=\"reads\"}");
    // The very bucket the key's HTTP requests draw from (RateLimitDirectives) is the one spent.
    RateLimits limits = RateLimits.get(fixture.node.system());
    assertFalse(await(limits.acquire(LimiterKeys.ofKey("u-flood", "k-flood"), EndpointClass.READS)).allowed());
    assertTrue(await(limits.acquire(LimiterKeys.ofKey("u-flood", "k-other"), EndpointClass.READS)).allowed(),
        "another key of the same user has its own allowance");
  }

  @Test
  void anAdministratorsKeyThatStartsASessionForAUserPaysForItsWrites() throws Exception {
    await(Agents.get(fixture.node.system()).define("proxy-writer", scripted(List.of(PublishToTopicTool.NAME),
        callsThenAnswer(PublishToTopicTool.NAME, READS_PER_MINUTE + 1,
            i -> "{\"topic\":\"proxied\",\"messageType\":\"n\",\"content\":" + i + "}"))));
    Sessions sessions = Sessions.get(fixture.node.system());
    String id = await(sessions.start("proxy-writer", "go",
        new Sessions.Origin.Caller(new Principal("u-root", "k-root", Role.ADMIN), "u-served"))).sessionId();
    SessionView done = fixture.testKit.createTestProbe().awaitAssert(WITHIN, () -> {
      SessionView v = await(sessions.view(id, 0, 100));
      assertEquals("COMPLETED", v.status());
      return v;
    });

    assertEquals("u-served", done.owner(), "the session is the served user's");
    assertEquals(1, done.toolCalls().stream().filter(c -> SessionState.ToolCallRecord.ERROR.equals(c.outcome())).count(),
        done::toString);
    RateLimits limits = RateLimits.get(fixture.node.system());
    assertFalse(await(limits.acquire(LimiterKeys.ofKey("u-root", "k-root"), EndpointClass.READS)).allowed(),
        "the administrator's key paid");
  }

  @Test
  void callAgentStartsCountAgainstModelRunningAndChildrenSpendTheRootKeysAllowance() throws Exception {
    Agents agents = Agents.get(fixture.node.system());
    await(agents.define("limited-helper", scripted(List.of(PublishToTopicTool.NAME),
        callsThenAnswer(PublishToTopicTool.NAME, 1, i -> "{\"topic\":\"helped\",\"messageType\":\"n\",\"content\":1}"))));
    int calls = 4;
    await(agents.define("limited-fanout", scripted(List.of("call_agent"),
        callsThenAnswer("call_agent", calls, i -> "{\"agent\":\"limited-helper\",\"input\":\"help " + i + "\"}"))));
    double refusedBefore = refused(EndpointClass.MODEL_RUNNING);

    SessionView done = runToEnd("limited-fanout", new Principal("u-fan", "k-fan", Role.USER));

    assertEquals("COMPLETED", done.status(), done::toString);
    List<SessionState.ToolCallRecord> started = done.toolCalls().stream()
        .filter(c -> SessionState.ToolCallRecord.OK.equals(c.outcome())).toList();
    assertEquals(RUNS_PER_MINUTE, started.size(), done::toString);
    done.toolCalls().stream().filter(c -> !started.contains(c)).forEach(c -> assertTrue(c.error().startsWith(
        "rate limit exceeded for starting a session of agent limited-helper: " + RUNS_PER_MINUTE
            + " per 1 minute for model_running"), c.error()));
    assertEquals(refusedBefore + calls - RUNS_PER_MINUTE, refused(EndpointClass.MODEL_RUNNING), 1e-9);
    // Each child published once, for the root's key: that key has the rest of its reads allowance left.
    RateLimits limits = RateLimits.get(fixture.node.system());
    for (int i = 0; i < READS_PER_MINUTE - RUNS_PER_MINUTE; i++) {
      assertTrue(await(limits.acquire(LimiterKeys.ofKey("u-fan", "k-fan"), EndpointClass.READS)).allowed(), "token " + i);
    }
    assertFalse(await(limits.acquire(LimiterKeys.ofKey("u-fan", "k-fan"), EndpointClass.READS)).allowed());
  }
}
