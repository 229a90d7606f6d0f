package io.troupe.runtime.net;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A network: an address and how many leading bits of it must match ({@code 10.0.0.0/8},
 * {@code fd00::/8}; a single address is a network of one). Read from configuration only as IP
 * literals, never looked up in DNS.
 */
public record Cidr(byte[] network, int prefixBits) {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  public Cidr {
    network = network.clone();
  }

  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != network.length) {
      return false;
    }
    int bits = network.length * 8;
    BigInteger mask = BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)
        .xor(BigInteger.ONE.shiftLeft(bits - prefixBits).subtract(BigInteger.ONE));
    return new BigInteger(1, a).and(mask).equals(new BigInteger(1, network).and(mask));
  }

  /** One CIDR or single address; {@link IllegalArgumentException} saying why not. */
  public static Cidr parse(String text) {
    String item = text.strip();
    int slash = item.indexOf('/');
    InetAddress address = literal(slash < 0 ? item : item.substring(0, slash));
    int max = address.getAddress().length * 8;
    int prefix;
    try {
      prefix = slash < 0 ? max : Integer.parseInt(item.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a prefix length: " + item);
    }
    if (prefix < 0 || prefix > max) {
      throw new IllegalArgumentException("prefix length out of 0.." + max + ": " + item);
    }
    return new Cidr(address.getAddress(), prefix);
  }

  /** Comma-separated CIDRs or addresses; blank entries are skipped, so "" is none. */
  public static List<Cidr> parseList(String spec) {
    List<Cidr> networks = new ArrayList<>();
    for (String part : spec.split(",")) {
      if (!part.isBlank()) {
        networks.add(parse(part));
      }
    }
    return List.copyOf(networks);
  }

  public static boolean anyContains(List<Cidr> networks, InetAddress address) {
    return networks.stream().anyMatch(n -> n.contains(address));
  }

  /** An IPv4 or IPv6 literal; anything else is refused rather than looked up as a host name. */
  private static InetAddress literal(String text) {
    String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    boolean v4 = IPV4.matcher(t).matches()
        && Arrays.stream(t.split("\\.")).allMatch(octet -> Integer.parseInt(octet) <= 255);
    if (!v4 && t.indexOf(':') < 0) {
      throw new IllegalArgumentException("not an IP address or CIDR: " + text);
    }
    try {
      return InetAddress.getByName(t); // a literal: parsed, no lookup (a ':' never makes a host name)
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address or CIDR: " + text);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixBits == prefixBits && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixBits;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixBits;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
