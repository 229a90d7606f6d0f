package io.troupe.runtime;

import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts the {@link NodeFixture} of a {@link TroupeNodeTest} class once, before its own
 * {@code @BeforeAll} methods, and keeps it in the class's extension store, which closes it after
 * the class's {@code @AfterAll} methods.
 */
public final class NodeExtension implements BeforeAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NodeExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Class<?> testClass = context.getRequiredTestClass();
    NodeTestSupport.initialize(testClass);
    TroupeNodeTest annotation = NodeTestSupport.annotation(testClass, TroupeNodeTest.class);
    Map<String, Object> extra = NodeTestSupport.extraConfig(testClass, annotation.config());
    // Each node runs on a clock of its own that keeps real time until a test moves it.
    MovableClock clock = new MovableClock();
    NodeFixture fixture = NodeFixture.start(extra, clock);
    context.getStore(NAMESPACE).put(NodeFixture.class, fixture);
    NodeTestSupport.inject(testClass, type -> type == NodeFixture.class ? fixture : type == MovableClock.class ? clock : null);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == NodeFixture.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(NAMESPACE).get(NodeFixture.class, NodeFixture.class);
  }
}
