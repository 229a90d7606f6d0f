package io.troupe.runtime.tool;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import io.troupe.runtime.net.Cidr;
import io.troupe.runtime.node.ConfigChecks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The built-in tools' settings (troupe.tools in the runtime's reference.conf).
 *
 * @param httpGetAllowedHosts      hosts the http_get tool may fetch from; empty: no http_get tool
 * @param httpGetAllowedAddresses  networks http_get may reach although they are loopback, private,
 *                                 link-local or this node's own (by default none of those is reachable)
 * @param httpGetAllowedPorts      ports http_get may connect to (none given: 80 and 443)
 * @param httpGetMaxBodyBytes      response bodies are cut after this many bytes
 */
public record ToolSettings(Set<String> httpGetAllowedHosts, List<Cidr> httpGetAllowedAddresses,
                           List<PortRange> httpGetAllowedPorts, int httpGetMaxBodyBytes) {

  /** Ports {@code from..to}, both included. */
  public record PortRange(int from, int to) {
    public PortRange {
      if (from < 1 || to > 65535 || from > to) {
        throw new IllegalArgumentException("not a port range within 1..65535: " + from + "-" + to);
      }
    }

    boolean contains(int port) {
      return port >= from && port <= to;
    }

    @Override
    public String toString() {
      return from == to ? Integer.toString(from) : from + "-" + to;
    }
  }

  public static final List<PortRange> DEFAULT_PORTS = List.of(new PortRange(80, 80), new PortRange(443, 443));

  public ToolSettings {
    httpGetAllowedHosts = Set.copyOf(httpGetAllowedHosts);
    httpGetAllowedAddresses = List.copyOf(httpGetAllowedAddresses);
    httpGetAllowedPorts = List.copyOf(httpGetAllowedPorts);
  }

  public static ToolSettings from(Config config) {
    return fromToolsBlock(config.getConfig("troupe.tools"));
  }

  /**
   * From the {@code troupe.tools} block alone: under {@code http-get}, {@code allowed-hosts},
   * {@code allowed-addresses} and {@code allowed-ports} (each a comma-separated string, as
   * environment variables give it, or a list) and {@code max-body-bytes}; all optional.
   */
  public static ToolSettings fromToolsBlock(Config tools) {
    int maxBodyBytes = tools.hasPath("http-get.max-body-bytes")
        ? ConfigChecks.positiveBytes(tools, "http-get.max-body-bytes")
        : HttpGetTool.DEFAULT_MAX_BODY_BYTES;
    List<Cidr> addresses = new ArrayList<>();
    List<PortRange> ports = new ArrayList<>();
    for (String entry : entries(tools, "http-get.allowed-addresses")) {
      try {
        addresses.add(Cidr.parse(entry));
      } catch (IllegalArgumentException e) {
        throw ConfigChecks.bad(tools, "http-get.allowed-addresses", e.getMessage());
      }
    }
    for (String entry : entries(tools, "http-get.allowed-ports")) {
      try {
        ports.add(port(entry));
      } catch (IllegalArgumentException e) {
        throw ConfigChecks.bad(tools, "http-get.allowed-ports", e.getMessage());
      }
    }
    return new ToolSettings(allowedHosts(tools), addresses,
        ports.isEmpty() ? DEFAULT_PORTS : ports, maxBodyBytes);
  }

  static Set<String> allowedHosts(Config tools) {
    return Set.copyOf(entries(tools, "http-get.allowed-hosts"));
  }

  boolean portAllowed(int port) {
    return httpGetAllowedPorts.stream().anyMatch(r -> r.contains(port));
  }

  /** {@code 443} or {@code 8000-8999}. */
  private static PortRange port(String entry) {
    String[] bounds = entry.split("-", 2);
    try {
      int from = Integer.parseInt(bounds[0].strip());
      return new PortRange(from, bounds.length == 1 ? from : Integer.parseInt(bounds[1].strip()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a port or port range (like 443 or 8000-8999): " + entry);
    }
  }

  private static List<String> entries(Config tools, String path) {
    if (!tools.hasPath(path)) {
      return List.of();
    }
    List<String> entries = tools.getValue(path).valueType() == ConfigValueType.LIST
        ? tools.getStringList(path)
        : Arrays.asList(tools.getString(path).split(","));
    return entries.stream().map(String::trim).filter(h -> !h.isEmpty()).distinct().collect(Collectors.toList());
  }
}
