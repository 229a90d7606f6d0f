package io.troupe.runtime.node;

import java.util.List;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;

/** Parses TROUPE_SEED_NODES entries: "host:port" or a full "pekko://troupe@host:port". */
public final class SeedNodes {

  private SeedNodes() {}

  public static List<Address> parse(List<String> seeds, String systemName) {
    return seeds.stream().map(s -> parseOne(s, systemName)).toList();
  }

  static Address parseOne(String seed, String systemName) {
    String uri = seed.contains("://") ? seed : "pekko://" + systemName + "@" + seed;
    try {
      return AddressFromURIString.parse(uri);
    } catch (Exception e) { // Scala throws java.net.MalformedURLException unchecked
      throw new IllegalArgumentException("TROUPE_SEED_NODES: '" + seed
          + "' is neither host:port nor pekko://" + systemName + "@host:port", e);
    }
  }
}
