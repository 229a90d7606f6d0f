package io.troupe.monitoring;

import java.util.List;
import org.apache.pekko.cluster.MemberStatus;

/** Lower-case names of cluster member statuses: the bounded value set of the {@code status} label. */
public final class MemberStatusNames {

  public static final List<String> ALL =
      List.of("joining", "weakly_up", "up", "leaving", "exiting", "down", "removed", "preparing_for_shutdown", "ready_for_shutdown");

  private MemberStatusNames() {}

  public static String of(MemberStatus status) {
    // MemberStatus's toString is the Scala case object name, e.g. "WeaklyUp".
    String name = status.toString();
    StringBuilder out = new StringBuilder(name.length() + 4);
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        out.append('_');
      }
      out.append(Character.toLowerCase(c));
    }
    return out.toString();
  }
}
