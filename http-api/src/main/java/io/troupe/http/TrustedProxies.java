package io.troupe.http;

import io.troupe.runtime.net.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.XForwardedFor;

/**
 * The proxies whose {@code X-Forwarded-For} the edge believes ({@code troupe.http.trusted-proxies},
 * CIDRs; none by default), and the client address a request is counted under: the connection's
 * peer, unless that peer is a trusted proxy, in which case the rightmost address in
 * X-Forwarded-For that is not a trusted proxy. Anyone can send the header, so believing it from
 * everyone let a client pick the address the audit log records and the invalid-key throttle
 * counts (a fresh value per try escaped the throttle; a victim's value locked the victim out).
 */
final class TrustedProxies {

  /** Hops of X-Forwarded-For looked at, from the right: the header is client input. */
  private static final int MAX_HOPS = 32;

  static final TrustedProxies NONE = new TrustedProxies(List.of());

  private final List<Cidr> networks;

  private TrustedProxies(List<Cidr> networks) {
    this.networks = List.copyOf(networks);
  }

  /** Comma-separated CIDRs or single addresses ({@code 10.0.0.0/8, 192.168.1.7, fd00::/8}); empty: none. */
  static TrustedProxies parse(String spec) {
    return new TrustedProxies(Cidr.parseList(spec));
  }

  boolean trusts(InetAddress address) {
    return Cidr.anyContains(networks, address);
  }

  /** The address {@code request} is counted under (null when the connection's peer is unknown). */
  String clientAddress(HttpRequest request) {
    Optional<InetAddress> peer = request.getAttribute(AttributeKeys.remoteAddress).flatMap(r -> r.getAddress());
    if (peer.isEmpty()) {
      return null;
    }
    InetAddress current = peer.get();
    if (networks.isEmpty() || !trusts(current)) {
      return current.getHostAddress();
    }
    List<String> hops = new ArrayList<>();
    for (HttpHeader header : request.getHeaders()) {
      if (header.is("x-forwarded-for")) {
        for (String hop : header.value().split(",")) {
          hops.add(hop.strip());
        }
      }
    }
    // Right to left: each hop was appended by the one after it; stop at the first one that is
    // not a proxy we trust, or at a value a trusted proxy could not have written.
    for (int i = hops.size() - 1; i >= 0 && i >= hops.size() - MAX_HOPS && trusts(current); i--) {
      Optional<InetAddress> hop = literal(hops.get(i));
      if (hop.isEmpty()) {
        break;
      }
      current = hop.get();
    }
    return current.getHostAddress();
  }

  /**
   * An IP literal, never a name, read by Pekko's own X-Forwarded-For grammar ({@link
   * InetAddress#getByName} would look up anything it cannot read as a literal in DNS).
   */
  private static Optional<InetAddress> literal(String text) {
    if (text.isEmpty() || text.length() > 64) {
      return Optional.empty();
    }
    HttpHeader parsed = HttpHeader.parse("X-Forwarded-For", text);
    if (!(parsed instanceof XForwardedFor xff)) {
      return Optional.empty();
    }
    var addresses = xff.getAddresses().iterator();
    return addresses.hasNext() ? addresses.next().getAddress() : Optional.empty();
  }
}
