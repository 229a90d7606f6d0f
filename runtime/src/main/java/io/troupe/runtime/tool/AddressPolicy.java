package io.troupe.runtime.tool;

import io.troupe.runtime.net.Cidr;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Which resolved addresses {@code http_get} may connect to. A host name on the allow-list says
 * nothing about where it points (DNS can name 127.0.0.1, a cloud metadata address or a database
 * next door), so the address is checked as well: loopback, unspecified, link-local (169.254/16,
 * fe80::/10, where cloud metadata lives), private (10/8, 172.16/12, 192.168/16, 100.64/10,
 * fc00::/7, fec0::/10), multicast and broadcast, and every address of this node's own interfaces
 * are refused unless {@code allowed} names them. IPv6 forms that carry an IPv4 address (NAT64,
 * 6to4, IPv4-compatible) are judged by that IPv4 address.
 */
final class AddressPolicy {

  private static final List<Cidr> PRIVATE = Cidr.parseList(
      "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7, fec0::/10");
  private static final List<Cidr> RESERVED = Cidr.parseList("0.0.0.0/8, 240.0.0.0/4");

  private final List<Cidr> allowed;

  AddressPolicy(List<Cidr> allowed) {
    this.allowed = List.copyOf(allowed);
  }

  /** What makes {@code address} unreachable ("loopback", "private", ...), or empty when it may be fetched from. */
  Optional<String> refusal(InetAddress address) {
    if (Cidr.anyContains(allowed, address)) {
      return Optional.empty();
    }
    String kind = kind(address);
    if (kind == null) {
      Optional<InetAddress> v4 = embeddedIpv4(address);
      if (v4.isPresent() && !Cidr.anyContains(allowed, v4.get()) && kind(v4.get()) != null) {
        kind = kind(v4.get()) + " (as " + v4.get().getHostAddress() + ")";
      }
    }
    if (kind == null && ownAddress(address)) {
      kind = "an address of this node";
    }
    return Optional.ofNullable(kind);
  }

  private static String kind(InetAddress a) {
    if (a.isLoopbackAddress()) {
      return "loopback";
    }
    if (a.isAnyLocalAddress() || Cidr.anyContains(RESERVED, a)) {
      return "unspecified or reserved";
    }
    if (a.isLinkLocalAddress()) {
      return "link-local";
    }
    if (a.isSiteLocalAddress() || Cidr.anyContains(PRIVATE, a)) {
      return "private";
    }
    if (a.isMulticastAddress() || a.getHostAddress().equals("255.255.255.255")) {
      return "multicast or broadcast";
    }
    return null;
  }

  /** The IPv4 address inside NAT64 (64:ff9b::/96), 6to4 (2002::/16) or IPv4-compatible (::/96) forms. */
  private static Optional<InetAddress> embeddedIpv4(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return Optional.empty();
    }
    byte[] b = address.getAddress();
    int offset;
    if (b[0] == 0x20 && b[1] == 0x02) {
      offset = 2;
    } else if (isZero(b, 0, 12) || (b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b
        && isZero(b, 4, 12))) {
      offset = 12;
    } else {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByAddress(new byte[] {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]}));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Read per call: interfaces come and go, and a call is rare next to the model's own latency. */
  private static boolean ownAddress(InetAddress address) {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress own : Collections.list(nic.getInetAddresses())) {
          if (sameAddress(own, address)) {
            return true;
          }
        }
      }
      return false;
    } catch (SocketException e) {
      return true; // cannot tell: refuse rather than risk reaching this node
    }
  }

  private static boolean sameAddress(InetAddress a, InetAddress b) {
    return java.util.Arrays.equals(a.getAddress(), b.getAddress());
  }
}
