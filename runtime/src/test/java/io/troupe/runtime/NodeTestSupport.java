package io.troupe.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/** What the node extensions of the runtime and of http-api share: reading a class's settings, filling its fields. */
public final class NodeTestSupport {

  private NodeTestSupport() {}

  public static <A extends Annotation> A annotation(Class<?> testClass, Class<A> type) {
    for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
      A a = c.getAnnotation(type);
      if (a != null) {
        return a;
      }
    }
    throw new ExtensionConfigurationException(testClass.getName() + " is not annotated with @" + type.getSimpleName());
  }

  /**
   * Runs the class's static initializers now, before its node starts, so that what they start (a
   * log capture, a local model server whose address {@code nodeConfig()} gives) sees the node's start.
   */
  public static void initialize(Class<?> testClass) throws ClassNotFoundException {
    Class.forName(testClass.getName(), true, testClass.getClassLoader());
  }

  /**
   * The class's extra node settings: its annotation's HOCON lines, then what its static
   * {@code nodeConfig()} method answers, if it has one.
   */
  public static Map<String, Object> extraConfig(Class<?> testClass, String[] hocon) throws Exception {
    Map<String, Object> extra = new HashMap<>();
    Config lines = ConfigFactory.parseString(String.join("\n", hocon)).resolve();
    for (Map.Entry<String, ConfigValue> e : lines.entrySet()) {
      extra.put(e.getKey(), e.getValue().unwrapped());
    }
    Method method;
    try {
      method = testClass.getDeclaredMethod("nodeConfig");
    } catch (NoSuchMethodException none) {
      return extra;
    }
    if (!Modifier.isStatic(method.getModifiers()) || !Map.class.isAssignableFrom(method.getReturnType())) {
      throw new ExtensionConfigurationException(testClass.getName() + ".nodeConfig() must be static and return a Map");
    }
    method.setAccessible(true);
    Map<?, ?> answered = (Map<?, ?>) method.invoke(null);
    answered.forEach((k, v) -> extra.put(String.valueOf(k), v));
    return extra;
  }

  /**
   * Sets every {@link FromNode} static field of the class to what {@code valueFor} answers for
   * its type. A final collection field is filled instead of replaced.
   */
  @SuppressWarnings("unchecked")
  public static void inject(Class<?> testClass, Function<Class<?>, Object> valueFor) throws IllegalAccessException {
    for (Field field : testClass.getDeclaredFields()) {
      if (!field.isAnnotationPresent(FromNode.class)) {
        continue;
      }
      if (!Modifier.isStatic(field.getModifiers())) {
        throw new ExtensionConfigurationException("@FromNode field " + field + " must be static");
      }
      Object value = valueFor.apply(field.getType());
      if (value == null) {
        throw new ExtensionConfigurationException("@FromNode field " + field + ": no value of type " + field.getType().getName());
      }
      field.setAccessible(true);
      if (Modifier.isFinal(field.getModifiers()) && value instanceof Collection<?> values) {
        Collection<Object> target = (Collection<Object>) field.get(null);
        target.clear();
        target.addAll(values);
      } else {
        field.set(null, value);
      }
    }
  }
}
