package io.troupe.runtime.evolution;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares two values field by field, down through records, lists and maps, and names every
 * difference by its path ({@code Session.SessionStarted.definition.script[1].toolCalls: expected
 * [] but was null}). Record equality alone would say only "not equal", and it would not
 * say which field an old journal no longer fills.
 */
public final class RecordAssert {

  private RecordAssert() {}

  /** Fails listing every path where {@code actual} differs from {@code expected}. */
  public static void assertSameFields(String name, Object expected, Object actual) {
    List<String> differences = new ArrayList<>();
    compare(name, expected, actual, differences);
    if (!differences.isEmpty()) {
      fail(String.join("\n  ", differences));
    }
  }

  private static void compare(String path, Object expected, Object actual, List<String> out) {
    if (expected == null || actual == null) {
      if (expected != actual) {
        out.add(path + ": expected " + expected + " but was " + actual);
      }
      return;
    }
    if (expected.getClass().isRecord()) {
      if (expected.getClass() != actual.getClass()) {
        out.add(path + ": expected a " + expected.getClass().getName() + " but was a " + actual.getClass().getName());
        return;
      }
      for (RecordComponent component : expected.getClass().getRecordComponents()) {
        compare(path + "." + component.getName(), get(component, expected), get(component, actual), out);
      }
    } else if (expected instanceof List<?> e && actual instanceof List<?> a) {
      if (e.size() != a.size()) {
        out.add(path + ": expected " + e.size() + " elements but was " + a.size() + ": " + a);
        return;
      }
      for (int i = 0; i < e.size(); i++) {
        compare(path + "[" + i + "]", e.get(i), a.get(i), out);
      }
    } else if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
      if (!e.keySet().equals(a.keySet())) {
        out.add(path + ": expected keys " + sorted(e.keySet()) + " but was " + sorted(a.keySet()));
        return;
      }
      for (Object key : e.keySet()) {
        compare(path + "[" + key + "]", e.get(key), a.get(key), out);
      }
    } else if (!Objects.equals(expected, actual)) {
      out.add(path + ": expected " + describe(expected) + " but was " + describe(actual));
    }
  }

  private static Object get(RecordComponent component, Object record) {
    try {
      var accessor = component.getAccessor();
      accessor.setAccessible(true); // package-private records (snapshots) too
      return accessor.invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + component, e);
    }
  }

  private static Set<String> sorted(Set<?> keys) {
    Set<String> s = new TreeSet<>();
    keys.forEach(k -> s.add(String.valueOf(k)));
    return s;
  }

  private static String describe(Object value) {
    return value instanceof String ? "\"" + value + "\"" : value + " (" + value.getClass().getSimpleName() + ")";
  }
}
