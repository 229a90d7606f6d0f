package io.troupe.runtime.evolution;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * What a module journals: found by walking its compiled classes for {@code EventSourcedBehavior}s,
 * so a new entity, a new event type or snapshots turned on for an entity cannot go without a
 * stored fixture unnoticed.
 */
public final class PersistedTypes {

  /** One event-sourced entity: its event interface, its state, and whether it writes snapshots. */
  public record Entity(Class<?> entity, Class<?> event, Class<?> state, boolean snapshots, boolean snapshotAdapter) {}

  private PersistedTypes() {}

  /** Every {@code EventSourcedBehavior} among the main classes of the module holding {@code anyMainClass}. */
  public static List<Entity> entitiesOf(Class<?> anyMainClass) throws Exception {
    Path location = Path.of(anyMainClass.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Entity> entities = new ArrayList<>();
    if (Files.isDirectory(location)) {
      scan(location, anyMainClass.getClassLoader(), entities);
    } else {
      try (FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + location.toUri()), Map.of())) {
        scan(jar.getPath("/"), anyMainClass.getClassLoader(), entities);
      }
    }
    return entities;
  }

  private static void scan(Path root, ClassLoader loader, List<Entity> out) throws IOException, ClassNotFoundException {
    List<String> names;
    try (Stream<Path> files = Files.walk(root)) {
      names = files.map(p -> root.relativize(p).toString().replace('\\', '/'))
          .filter(n -> n.endsWith(".class") && !n.equals("module-info.class"))
          .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
          .sorted().toList();
    }
    for (String name : names) {
      Class<?> c = Class.forName(name, false, loader); // not initialized: no static setup runs
      if (EventSourcedBehavior.class.isAssignableFrom(c) && !c.isInterface()
          && !java.lang.reflect.Modifier.isAbstract(c.getModifiers())) {
        Type[] args = typeArguments(c);
        out.add(new Entity(c, raw(args[1]), raw(args[2]),
            declares(c, "retentionCriteria") || declares(c, "shouldSnapshot"), declares(c, "snapshotAdapter")));
      }
    }
  }

  /** Command, Event, State of the {@code EventSourcedBehavior} {@code c} extends. */
  private static Type[] typeArguments(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getSuperclass()) {
      if (k.getGenericSuperclass() instanceof ParameterizedType p
          && EventSourcedBehavior.class.isAssignableFrom(raw(p.getRawType()))
          && p.getActualTypeArguments().length == 3) {
        return p.getActualTypeArguments();
      }
    }
    throw new IllegalStateException("cannot read the event and state types of " + c.getName());
  }

  private static Class<?> raw(Type t) {
    return t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
  }

  private static boolean declares(Class<?> c, String method) {
    return Arrays.stream(c.getDeclaredMethods()).anyMatch(m -> m.getName().equals(method));
  }

  /**
   * Every concrete type the entities of the module holding {@code anyMainClass} journal: each
   * permitted subclass of each event interface (sealed, as the style asks), and each snapshot type.
   * An entity that snapshots through a {@code SnapshotAdapter} stores what the adapter returns,
   * which no signature tells: name it in {@code adapterSnapshots} (entity class → stored class).
   */
  public static Set<Class<?>> journaledBy(Class<?> anyMainClass, Map<Class<?>, Class<?>> adapterSnapshots)
      throws Exception {
    Set<Class<?>> types = new LinkedHashSet<>();
    List<Entity> entities = entitiesOf(anyMainClass);
    assertTrue(!entities.isEmpty(), "no EventSourcedBehavior found beside " + anyMainClass.getName());
    for (Entity e : entities) {
      if (!e.event().isSealed()) {
        fail(e.entity().getName() + ": event interface " + e.event().getName()
            + " is not sealed, so its event types cannot be listed");
      }
      addConcrete(e.event(), types);
      if (e.snapshots()) {
        if (e.snapshotAdapter()) {
          Class<?> stored = adapterSnapshots.get(e.entity());
          if (stored == null) {
            fail(e.entity().getName() + " snapshots through a SnapshotAdapter: name the class it stores");
          }
          types.add(stored);
        } else {
          types.add(e.state());
        }
      }
    }
    return types;
  }

  private static void addConcrete(Class<?> sealed, Set<Class<?>> out) {
    for (Class<?> sub : sealed.getPermittedSubclasses()) {
      if (sub.isSealed()) {
        addConcrete(sub, out);
      } else {
        out.add(sub);
      }
    }
  }
}
