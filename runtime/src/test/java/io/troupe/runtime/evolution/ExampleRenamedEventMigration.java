package io.troupe.runtime.evolution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads {@code ExampleV1Event} (version 1, the class name in old journals' manifests) as
 * {@link ExampleRenamedEvent} (version 2). Registered under both names in
 * {@code evolution-example.conf}: under the old one so old manifests find it, under the new one
 * so new writes are stored as {@code ExampleRenamedEvent#2} and a later change can tell them apart.
 */
public final class ExampleRenamedEventMigration extends JacksonMigration {

  static final String OLD_CLASS_NAME = "io.troupe.runtime.evolution.ExampleV1Event";

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    return OLD_CLASS_NAME.equals(className) ? ExampleRenamedEvent.class.getName() : className;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion < 2 && json instanceof ObjectNode event && !event.has("priority")) {
      // A missing int would read as 0; version 1 events mean the default.
      event.put("priority", ExampleRenamedEvent.DEFAULT_PRIORITY);
    }
    return json;
  }
}
