package io.troupe.http;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that runs against whole nodes wired as {@link Main} wires them ({@link
 * RunningNode}: HTTP edge, domain entities and tools), on a fresh database of the JVM's shared
 * PostgreSQL, started once before the class's tests (ready, and for a cluster every node seeing
 * every member Up) and stopped after them.
 *
 * <p>{@link io.troupe.runtime.FromNode} static fields receive, by type: {@link RunningNode} the
 * first node, {@link HttpClientForTests} its admin client, {@code List<RunningNode>} every node
 * (a final list is filled). Parameters of type {@link RunningNode} get the first node.
 *
 * <p>Settings on top of {@link io.troupe.runtime.TestNodes#config}: {@link #config()}, then those of
 * a static {@code nodeConfig()} method of the class returning {@code Map<String, Object>}.
 * The class is initialized before its node starts: what its static initializers open (a log
 * capture) sees the node's start.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RunningNodeExtension.class)
public @interface RunningNodeTest {

  /** HOCON lines, e.g. {@code "troupe.security.protect-metrics = on"}. */
  String[] config() default {};

  /** How many nodes: 1 is a cluster of one; more join the first one. */
  int nodes() default 1;
}
