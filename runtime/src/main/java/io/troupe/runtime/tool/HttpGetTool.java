package io.troupe.runtime.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.ClientTransport;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.stream.StreamTcpException;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code http_get}: fetches a URL from an allow-listed host and returns status, content type and
 * (text) body. Off unless hosts are allowed: {@link BuiltInTools} registers it only then.
 *
 * <p>Only {@code http} and {@code https} URLs whose host equals an allowed host (ignoring case)
 * and whose port is allowed (80 and 443 unless configured) are fetched. The host is then resolved
 * once, and the call refused unless one of its addresses passes {@link AddressPolicy} (no
 * loopback, private, link-local or own address unless explicitly allowed): a name on the list may
 * still point anywhere. The connection goes to exactly that checked address (Pekko HTTP's client
 * with a resolver that answers it), while the Host header, TLS server name and certificate check
 * use the host name; a second lookup, which DNS could answer differently (rebinding), is never
 * made. Anything refused is refused before a connection is made. Redirects are not followed,
 * since they could lead to other hosts: a 3xx comes back with its {@code location}, which the model
 * may fetch in a new call, checked again. The whole call, lookup and body included, is bounded by
 * the call's timeout, and the body is cut after a configured number of bytes.
 */
public final class HttpGetTool implements Tool {

  public static final String NAME = "http_get";
  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
  private static final Duration MAX_CONNECTING = Duration.ofSeconds(10);

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

  /** Where a call goes: the URL, its port, and the one address it connects to. */
  private record Target(URI uri, String host, int port, InetAddress address) {}

  private final ActorSystem system;
  private final ToolSettings settings;
  private final Set<String> allowedHosts;
  private final AddressPolicy addresses;
  private final Executor lookups;

  /** The http-get part of {@code settings}; {@code allowedHosts} matched exactly, ignoring case. */
  public HttpGetTool(ClassicActorSystemProvider system, ToolSettings settings) {
    if (settings.httpGetAllowedHosts().isEmpty()) {
      throw new IllegalArgumentException("http_get needs at least one allowed host");
    }
    this.system = system.classicSystem();
    this.settings = settings;
    this.allowedHosts = settings.httpGetAllowedHosts().stream().map(HttpGetTool::normalize)
        .collect(Collectors.toUnmodifiableSet());
    this.addresses = new AddressPolicy(settings.httpGetAllowedAddresses());
    // DNS lookups block a thread: never on the dispatcher that runs actors.
    this.lookups = this.system.dispatchers().lookup("pekko.actor.default-blocking-io-dispatcher");
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
        + String.join(", ", allowedHosts.stream().sorted().toList()) + ", on ports "
        + settings.httpGetAllowedPorts().stream().map(Object::toString).collect(Collectors.joining(", "))
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
    long deadline = System.nanoTime() + timeout.toNanos();
    return CompletableFuture.supplyAsync(() -> resolve(uri), lookups)
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .thenCompose(target -> fetch(target, deadline))
        .handle((result, error) -> {
          if (error != null) {
            throw explain(uri, timeout, error);
          }
          return result;
        });
  }

  /** The URL as a URI, when its scheme is http(s) and its host and port are allowed; else why not. */
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
    int port = port(uri);
    if (!settings.portAllowed(port)) {
      throw new ToolException("port " + port + " is not allowed; allowed ports: "
          + settings.httpGetAllowedPorts().stream().map(Object::toString).collect(Collectors.joining(", ")));
    }
    return uri;
  }

  /** The one lookup of this call: the first address the policy lets through, or why none. */
  private Target resolve(URI uri) {
    String host = normalize(uri.getHost());
    InetAddress[] all;
    try {
      all = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new ToolException("host " + uri.getHost() + " could not be resolved");
    }
    String firstRefusal = null;
    for (InetAddress address : all) {
      Optional<String> refusal = addresses.refusal(address);
      if (refusal.isEmpty()) {
        return new Target(uri, host, port(uri), address);
      }
      if (firstRefusal == null) {
        firstRefusal = "address " + address.getHostAddress() + " is " + refusal.get();
      }
    }
    throw new ToolException("host " + uri.getHost() + " is not fetched from: its " + firstRefusal
        + ", which http_get may not reach");
  }

  private CompletionStage<JsonNode> fetch(Target target, long deadline) {
    Duration remaining = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    InetSocketAddress pinned = new InetSocketAddress(target.address(), target.port());
    ClientConnectionSettings connection = ClientConnectionSettings.create(system)
        .withConnectingTimeout(remaining.compareTo(MAX_CONNECTING) < 0 ? remaining : MAX_CONNECTING)
        .withTransport(ClientTransport.withCustomResolver((host, port) -> CompletableFuture.completedFuture(pinned)));
    var builder = Http.get(system).connectionTo(target.host()).toPort(target.port())
        .withClientConnectionSettings(connection);
    var flow = target.uri().getScheme().equalsIgnoreCase("https") ? builder.https() : builder.http();
    HttpRequest request = HttpRequest.GET(pathAndQuery(target.uri())).addHeader(HttpHeader.parse("Accept", "*/*"));
    // The body is read after the response arrives, outside the request's stream: cutting it
    // cancels the connection, which must not fail the (already finished) request stream.
    return Source.single(request).via(flow)
        .completionTimeout(remaining)
        .runWith(Sink.head(), system)
        .thenCompose(response -> read(response, Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))));
  }

  /** The response, its body read up to the cap; reading stops there (the connection closes). */
  private CompletionStage<JsonNode> read(HttpResponse response, Duration remaining) {
    int max = settings.httpGetMaxBodyBytes();
    long[] seen = {0};
    return response.entity().withoutSizeLimit().getDataBytes()
        .takeWhile(chunk -> (seen[0] += chunk.size()) <= max, true)
        .completionTimeout(remaining)
        .runFold(ByteString.emptyByteString(), ByteString::concat, system)
        .thenApply(bytes -> result(response, bytes.size() > max ? bytes.take(max) : bytes, bytes.size() > max));
  }

  private JsonNode result(HttpResponse response, ByteString bytes, boolean truncated) {
    ObjectNode result = ToolJson.MAPPER.createObjectNode();
    result.put("status", response.status().intValue());
    ContentType type = response.entity().getContentType();
    String contentType = type.equals(ContentTypes.NO_CONTENT_TYPE) ? null : type.toString();
    result.put("contentType", contentType);
    response.getHeader("Location").ifPresent(location -> result.put("location", location.value()));
    if (isText(contentType)) {
      String text = bytes.decodeString(charset(contentType));
      result.put("body", truncated
          ? text + "\n[truncated: the body is longer than " + settings.httpGetMaxBodyBytes() + " bytes]"
          : text);
    } else {
      result.putNull("body");
      result.put("note", "binary content (" + contentType + ") is not shown");
    }
    result.put("truncated", truncated);
    return result;
  }

  private static ToolException explain(URI uri, Duration timeout, Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ToolException refused) {
      return refused;
    }
    if (cause instanceof TimeoutException) {
      return new ToolException("no complete response from " + uri.getHost() + " within " + timeout.toMillis() + " ms");
    }
    if (cause instanceof StreamTcpException) {
      return new ToolException("could not connect to " + uri.getHost() + ":" + port(uri));
    }
    return new ToolException("GET " + uri + " failed: " + cause, cause);
  }

  private static int port(URI uri) {
    return uri.getPort() > 0 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  private static String pathAndQuery(URI uri) {
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
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
