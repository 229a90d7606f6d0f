package io.troupe.runtime;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that runs against one real node ({@link NodeFixture}: clustered ActorSystem, JDBC
 * journal on a fresh database of the JVM's shared PostgreSQL), started once before the class's
 * tests and stopped after them. The node reaches the class through {@link FromNode} static fields
 * of type {@link NodeFixture} (or as a parameter of that type), and its clock through one of type
 * {@link MovableClock}, which keeps real time until a test moves it.
 *
 * <p>Settings on top of {@link TestNodes#config}: {@link #config()}, then those of a static
 * {@code nodeConfig()} method of the class returning {@code Map<String, Object>}, for values known
 * only when the class runs (a local server's port).
 * The class is initialized before its node starts: what its static initializers open (a log
 * capture) sees the node's start.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NodeExtension.class)
public @interface TroupeNodeTest {

  /** HOCON lines, e.g. {@code "troupe.broker.stream-live-buffer = 2"}. */
  String[] config() default {};
}
