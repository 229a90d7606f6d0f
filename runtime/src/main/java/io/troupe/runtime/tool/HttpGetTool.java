package io.troupe.runtime.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * {@code http_get}: fetches a URL from an allow-listed host and returns status, content type and
 * (text) body. Off unless hosts are allowed: {@link BuiltInTools} registers it only then.
 *
 * <p>Only {@code http} and {@code https} URLs whose host equals an allowed host (ignoring case;
 * any port) are fetched; anything else is refused before a connection is made. Redirects are not
 * followed, since they could lead to other hosts: a 3xx comes back with its {@code location}, which
 * the model may fetch in a new call, checked again. The whole call, body included, is bounded by
 * the call's timeout, and the body is cut after a configured number of bytes.
 */
public final class HttpGetTool implements Tool {

  public static final String NAME = "http_get";
  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;

  private static final JsonNode PARAMETERS = ToolJson.parse("""
      {
        "type": "object",
        "properties": {
          "url": {"type": "string", "minLength": 1, "maxLength": 2048,
                  "description": "The http or https URL to fetch; its host must be one this node allows."}
        },
        "required": ["url"],
        "additionalProperties": false
      }
      """);

  private final Set<String> allowedHosts;
  private final int maxBodyBytes;
  private final HttpClient client;

  /** {@code allowedHosts}: host names or IP addresses, matched exactly, ignoring case. */
  public HttpGetTool(Set<String> allowedHosts, int maxBodyBytes) {
    if (allowedHosts.isEmpty()) {
      throw new IllegalArgumentException("http_get needs at least one allowed host");
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be positive: " + maxBodyBytes);
    }
    this.allowedHosts = allowedHosts.stream().map(HttpGetTool::normalize).collect(Collectors.toUnmodifiableSet());
    this.maxBodyBytes = maxBodyBytes;
    this.client = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  public Set<String> allowedHosts() {
    return allowedHosts;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "Fetch a web resource with HTTP GET. Only these hosts are reachable: "
        + String.join(", ", allowedHosts.stream().sorted().toList())
        + ". Redirects are not followed. Returns status, contentType and body (long bodies are cut).";
  }

  @Override
  public JsonNode parameters() {
    return PARAMETERS;
  }

  @Override
  public CompletionStage<JsonNode> call(ToolContext context, JsonNode arguments) {
    URI uri;
    try {
      uri = allowed(arguments.path("url").asText());
    } catch (ToolException e) {
      return CompletableFuture.failedFuture(e);
    }
    Duration timeout = context.timeout();
    HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(timeout).header("Accept", "*/*").build();
    CappedBody body = new CappedBody(maxBodyBytes);
    CompletableFuture<HttpResponse<CappedBody.Bytes>> exchange = client.sendAsync(request, info -> body);
    return exchange
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((response, error) -> {
          if (error != null) {
            exchange.cancel(true);
            body.cancel();
            throw explain(uri, timeout, error);
          }
          return result(response);
        });
  }

  /** The URL as a URI, when its scheme is http(s) and its host is allowed; else why not. */
  URI allowed(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ToolException("not a valid URL: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new ToolException("only http and https URLs can be fetched (was '" + uri.getScheme() + "')");
    }
    if (uri.getHost() == null) {
      throw new ToolException("the URL has no valid host: " + url);
    }
    if (!allowedHosts.contains(normalize(uri.getHost()))) {
      throw new ToolException("host " + uri.getHost() + " is not allowed; allowed hosts: "
          + String.join(", ", allowedHosts.stream().sorted().toList()));
    }
    return uri;
  }

  private JsonNode result(HttpResponse<CappedBody.Bytes> response) {
    ObjectNode result = ToolJson.MAPPER.createObjectNode();
    result.put("status", response.statusCode());
    String contentType = response.headers().firstValue("Content-Type").orElse(null);
    result.put("contentType", contentType);
    response.headers().firstValue("Location").ifPresent(location -> result.put("location", location));
    CappedBody.Bytes bytes = response.body();
    if (isText(contentType)) {
      String text = new String(bytes.data(), charset(contentType));
      result.put("body", bytes.truncated()
          ? text + "\n[truncated: the body is longer than " + maxBodyBytes + " bytes]"
          : text);
    } else {
      result.putNull("body");
      result.put("note", "binary content (" + contentType + ") is not shown");
    }
    result.put("truncated", bytes.truncated());
    return result;
  }

  private static ToolException explain(URI uri, Duration timeout, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof HttpTimeoutException || cause instanceof TimeoutException) {
      return new ToolException("no complete response from " + uri.getHost() + " within " + timeout.toMillis() + " ms");
    }
    if (cause instanceof ConnectException) {
      return new ToolException("could not connect to " + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : ""));
    }
    return new ToolException("GET " + uri + " failed: " + cause, cause);
  }

  private static boolean isText(String contentType) {
    if (contentType == null) {
      return true;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return type.isEmpty() || type.startsWith("text/") || type.endsWith("/json") || type.endsWith("+json")
        || type.endsWith("/xml") || type.endsWith("+xml") || type.equals("application/javascript")
        || type.equals("application/x-www-form-urlencoded");
  }

  private static Charset charset(String contentType) {
    if (contentType != null) {
      for (String parameter : contentType.split(";")) {
        String[] pair = parameter.trim().split("=", 2);
        if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("charset")) {
          try {
            return Charset.forName(pair[1].trim().replace("\"", ""));
          } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
          }
        }
      }
    }
    return StandardCharsets.UTF_8;
  }

  /** Lower case, without the brackets of an IPv6 literal. */
  private static String normalize(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }
}
