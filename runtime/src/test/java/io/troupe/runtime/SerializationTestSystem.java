package io.troupe.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/**
 * A local ActorSystem with nothing of the node but the repository's serialization settings
 * ({@code serialization.conf}: every {@link CborSerializable} as Jackson CBOR): no cluster, no
 * database. Enough for round trips through the configured serializer with Pekko's
 * {@link org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit}, in a fraction of a
 * node's start.
 */
public final class SerializationTestSystem {

  private SerializationTestSystem() {}

  /** A new test kit; shut it down with {@link ActorTestKit#shutdownTestKit()}. */
  public static ActorTestKit start() {
    Config config = ConfigFactory.parseResourcesAnySyntax("serialization.conf")
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    if (!config.hasPath("pekko.actor.serialization-bindings.\"io.troupe.runtime.CborSerializable\"")) {
      throw new IllegalStateException("serialization.conf with the CborSerializable binding is not on the classpath");
    }
    return ActorTestKit.create("serialization", config);
  }
}
