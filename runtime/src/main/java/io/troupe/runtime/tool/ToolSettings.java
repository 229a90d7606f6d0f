package io.troupe.runtime.tool;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import io.troupe.runtime.node.ConfigChecks;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The built-in tools' settings (troupe.tools in the runtime's reference.conf).
 *
 * @param httpGetAllowedHosts  hosts the http_get tool may fetch from; empty: no http_get tool
 * @param httpGetMaxBodyBytes  response bodies are cut after this many bytes
 */
public record ToolSettings(Set<String> httpGetAllowedHosts, int httpGetMaxBodyBytes) {

  public ToolSettings {
    httpGetAllowedHosts = Set.copyOf(httpGetAllowedHosts);
  }

  public static ToolSettings from(Config config) {
    return fromToolsBlock(config.getConfig("troupe.tools"));
  }

  /**
   * From the {@code troupe.tools} block alone: {@code http-get.allowed-hosts} (a comma-separated
   * string, as environment variables give it, or a list) and {@code http-get.max-body-bytes}; both optional.
   */
  public static ToolSettings fromToolsBlock(Config tools) {
    int maxBodyBytes = tools.hasPath("http-get.max-body-bytes")
        ? ConfigChecks.positiveBytes(tools, "http-get.max-body-bytes")
        : HttpGetTool.DEFAULT_MAX_BODY_BYTES;
    return new ToolSettings(allowedHosts(tools), maxBodyBytes);
  }

  static Set<String> allowedHosts(Config tools) {
    String path = "http-get.allowed-hosts";
    if (!tools.hasPath(path)) {
      return Set.of();
    }
    List<String> entries = tools.getValue(path).valueType() == ConfigValueType.LIST
        ? tools.getStringList(path)
        : Arrays.asList(tools.getString(path).split(","));
    return entries.stream().map(String::trim).filter(h -> !h.isEmpty()).collect(Collectors.toUnmodifiableSet());
  }
}
