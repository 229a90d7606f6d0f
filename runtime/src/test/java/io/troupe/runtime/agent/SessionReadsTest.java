package io.troupe.runtime.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.troupe.runtime.FromNode;
import io.troupe.runtime.NodeFixture;
import io.troupe.runtime.TroupeNodeTest;
import io.troupe.runtime.governance.Principal;
import io.troupe.runtime.governance.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;

/**
 * Reading a session goes to the journal, not to its entity: a finished session (or an id no
 * session has) is answered without waking an entity, with the same view the entity would give.
 */
@TroupeNodeTest
class SessionReadsTest {

  @FromNode private static NodeFixture fixture;



  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Set<String> liveSessions() {
    TestProbe<ShardRegion.CurrentShardRegionState> probe = fixture.testKit.createTestProbe();
    ClusterSharding.get(fixture.node.system()).shardState()
        .tell(new GetShardRegionState(Session.ENTITY_KEY, probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10)).getShards().stream()
        .flatMap(shard -> shard.getEntityIds().stream()).collect(Collectors.toSet());
  }

  @Test
  void aFinishedSessionIsReadWithoutWakingItsEntity() throws Exception {
    AgentDefinition answering = new AgentDefinition("Answerer", null, "scripted", "script", 0, 8, 30, List.of(),
        List.of(), List.of(new AgentDefinition.ScriptedReply("done", List.of())));
    await(Agents.get(fixture.node.system()).define("reader-test", answering));
    Sessions sessions = Sessions.get(fixture.node.system());
    String id = await(sessions.start("reader-test", "hello",
        new Sessions.Origin.Caller(new Principal("u-reader", "k-1", Role.USER), null))).sessionId();

    Instant deadline = Instant.now().plusSeconds(30);
    SessionView view = await(sessions.view(id));
    while (!"COMPLETED".equals(view.status()) && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
      view = await(sessions.view(id));
    }
    assertEquals("COMPLETED", view.status());
    // A finished session passivates itself; wait until its entity is gone.
    while (liveSessions().contains(id) && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
    }
    assertFalse(liveSessions().contains(id), "the finished session's entity stopped");

    for (int i = 0; i < 3; i++) {
      SessionView again = await(sessions.view(id));
      assertEquals("COMPLETED", again.status());
      assertEquals("done", again.output());
      assertEquals("u-reader", again.owner());
    }
    String unknown = "reader-test~0000000000001-00000000";
    assertEquals("NEW", await(sessions.view(unknown)).status());
    Set<String> live = liveSessions();
    assertFalse(live.contains(id), "reading the finished session woke its entity");
    assertFalse(live.contains(unknown), "reading an unknown id woke an entity");
  }
}
