package io.troupe.http;

import io.troupe.runtime.NodeTestSupport;
import io.troupe.runtime.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts the nodes of a {@link RunningNodeTest} class once, before its own {@code @BeforeAll}
 * methods, and keeps them in the class's extension store, which closes them after the class's
 * {@code @AfterAll} methods.
 */
public final class RunningNodeExtension implements BeforeAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RunningNodeExtension.class);

  /**
   * The nodes of one class, closed youngest first: each leaves while the oldest (which hosts the
   * shard coordinators) is still there, instead of every coordinator moving once per node.
   */
  private record Nodes(List<RunningNode> all) implements AutoCloseable {
    @Override
    public void close() {
      for (int i = all.size() - 1; i >= 0; i--) {
        all.get(i).close();
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Class<?> testClass = context.getRequiredTestClass();
    NodeTestSupport.initialize(testClass);
    RunningNodeTest annotation = NodeTestSupport.annotation(testClass, RunningNodeTest.class);
    Map<String, Object> extra = NodeTestSupport.extraConfig(testClass, annotation.config());
    List<RunningNode> all = annotation.nodes() == 1
        ? List.of(RunningNode.startAlone(TestDatabase.fresh(), extra))
        : RunningNode.cluster(annotation.nodes(), extra);
    Nodes nodes = new Nodes(all);
    context.getStore(NAMESPACE).put(Nodes.class, nodes);
    NodeTestSupport.inject(testClass, type -> {
      if (type == RunningNode.class) {
        return all.get(0);
      }
      if (type == HttpClientForTests.class) {
        return all.get(0).http;
      }
      if (type == List.class) {
        return all;
      }
      return null;
    });
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == RunningNode.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(NAMESPACE).get(Nodes.class, Nodes.class).all().get(0);
  }
}
