package io.troupe.runtime.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP plumbing the model clients share: one POST with an overall deadline, bounded retries
 * on 429, 5xx and connection failures (exponential backoff with jitter, or the server's
 * {@code Retry-After}), and errors that name the provider and status. Everything runs on the
 * HTTP client's threads and a timer; no caller thread ever waits. Once a 2xx response starts
 * streaming, its tokens have reached the caller, so a failure after that is not retried.
 */
final class ProviderHttp {

  /** Parses one response body, fed line by line as it arrives; throws {@link LlmException} on bad input. */
  interface LineParser<T> {
    void line(String line);

    T finish();
  }

  private static final Logger log = LoggerFactory.getLogger(ProviderHttp.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ERROR_CHARS = 300;
  private static final ScheduledThreadPoolExecutor TIMER = timer();

  private final String provider;
  private final ProviderSettings settings;
  private final HttpClient client;

  ProviderHttp(String provider, ProviderSettings settings, HttpClient client) {
    this.provider = provider;
    this.settings = settings;
    this.client = client;
  }

  static HttpClient defaultClient(ProviderSettings settings) {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (settings.baseUrl().startsWith("http:")) {
      // Local servers (vLLM, Ollama, llama.cpp) speak plain HTTP/1.1; skip the h2c upgrade dance.
      builder.version(HttpClient.Version.HTTP_1_1);
    }
    return builder.build();
  }

  /** POSTs {@code body} to {@code uri} and parses the answer with a fresh parser per attempt. */
  <T> CompletableFuture<T> post(URI uri, Map<String, String> headers, byte[] body, Duration timeout,
                                Supplier<LineParser<T>> parsers) {
    Call<T> call = new Call<>(uri, headers, body, timeout, parsers);
    call.start();
    return call.result;
  }

  private final class Call<T> {
    final CompletableFuture<T> result = new CompletableFuture<>();
    final URI uri;
    final Map<String, String> headers;
    final byte[] body;
    final Duration timeout;
    final long deadlineNanos;
    final Supplier<LineParser<T>> parsers;
    volatile CompletableFuture<?> inFlight;
    /**
     * The attempt whose 2xx answer started streaming. Its tokens may already have reached the
     * caller, so it must not be retried, even when the JDK reports the broken connection on the
     * send future rather than on the body (which of the two it does is a race).
     */
    volatile int streamingAttempt;

    Call(URI uri, Map<String, String> headers, byte[] body, Duration timeout, Supplier<LineParser<T>> parsers) {
      this.uri = uri;
      this.headers = headers;
      this.body = body;
      this.timeout = timeout;
      this.deadlineNanos = System.nanoTime() + timeout.toNanos();
      this.parsers = parsers;
    }

    void start() {
      ScheduledFuture<?> deadline = TIMER.schedule(
          () -> fail(new LlmException(provider, 0, "no complete answer within " + timeout.toMillis() + " ms")),
          timeout.toNanos(), TimeUnit.NANOSECONDS);
      result.whenComplete((value, failure) -> {
        deadline.cancel(false);
        CompletableFuture<?> pending = inFlight;
        if (pending != null) {
          pending.cancel(true);
        }
      });
      attempt(1);
    }

    void attempt(int number) {
      Duration remaining = remaining();
      if (result.isDone() || remaining.isZero()) {
        return;
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(remaining)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      headers.forEach(request::header);
      HttpResponse.BodyHandler<Object> handler = info -> {
        if (info.statusCode() / 100 != 2) {
          return BodySubscribers.mapping(BodySubscribers.ofString(StandardCharsets.UTF_8),
              text -> (Object) new Failed(info.statusCode(), text, info.headers()));
        }
        streamingAttempt = number;
        return BodySubscribers.mapping(new LineBodySubscriber<>(provider, parsers.get()), stream -> (Object) stream);
      };
      CompletableFuture<HttpResponse<Object>> sent = client.sendAsync(request.build(), handler);
      inFlight = sent;
      sent.whenComplete((response, failure) -> {
        if (failure != null) {
          onTransportFailure(number, unwrap(failure));
        } else if (response.body() instanceof Failed failed) {
          onHttpFailure(number, failed);
        } else {
          @SuppressWarnings("unchecked")
          CompletableFuture<T> stream = (CompletableFuture<T>) response.body();
          inFlight = stream;
          stream.whenComplete((value, streamFailure) -> {
            if (streamFailure == null) {
              result.complete(value);
            } else {
              fail(unwrap(streamFailure));
            }
          });
        }
      });
    }

    void onTransportFailure(int number, Throwable failure) {
      if (result.isDone()) {
        return;
      }
      if (streamingAttempt == number) {
        fail(new LlmException(provider, 0, "response stream broke: " + LineBodySubscriber.describe(failure), failure));
      } else if (failure instanceof HttpTimeoutException && remaining().isZero()) {
        fail(new LlmException(provider, 0, "no answer within " + timeout.toMillis() + " ms", failure));
      } else if (failure instanceof IOException) {
        retryOrFail(number, Optional.empty(),
            new LlmException(provider, 0, "request failed: " + LineBodySubscriber.describe(failure), failure));
      } else {
        fail(failure);
      }
    }

    void onHttpFailure(int number, Failed failed) {
      LlmException error = new LlmException(provider, failed.status(), redact(errorMessage(failed.body())));
      if (failed.status() == 429 || failed.status() >= 500) {
        retryOrFail(number, retryAfter(failed.headers(), Instant.now()), error);
      } else {
        fail(error);
      }
    }

    void retryOrFail(int number, Optional<Duration> serverDelay, LlmException error) {
      if (number >= settings.maxAttempts()) {
        fail(new LlmException(provider, error.status(),
            detail(error) + " (gave up after " + number + " attempts)", error.getCause()));
        return;
      }
      Duration delay = serverDelay.orElseGet(() -> backoff(number));
      if (delay.compareTo(remaining()) >= 0) {
        fail(new LlmException(provider, error.status(),
            detail(error) + " (a retry in " + delay.toMillis() + " ms would pass the deadline)", error.getCause()));
        return;
      }
      log.info("{}: attempt {} of {} failed ({}); retrying in {} ms", provider, number, settings.maxAttempts(),
          error.status() > 0 ? "HTTP " + error.status() : "no response", delay.toMillis());
      TIMER.schedule(() -> ForkJoinPool.commonPool().execute(() -> attempt(number + 1)),
          delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    void fail(Throwable failure) {
      // Completing on the common pool keeps the caller's continuations off the timer thread.
      ForkJoinPool.commonPool().execute(() -> result.completeExceptionally(
          failure instanceof LlmException ? failure
              : new LlmException(provider, 0, LineBodySubscriber.describe(failure), failure)));
    }

    Duration remaining() {
      long nanos = deadlineNanos - System.nanoTime();
      return nanos <= 0 ? Duration.ZERO : Duration.ofNanos(nanos);
    }

    String detail(LlmException error) {
      String message = error.getMessage();
      int colon = message.indexOf(": ");
      return colon < 0 ? message : message.substring(colon + 2);
    }
  }

  private record Failed(int status, String body, HttpHeaders headers) {}

  /** Exponential backoff with equal jitter: half the step fixed, half random. */
  Duration backoff(int failedAttempt) {
    long initial = settings.initialBackoff().toMillis();
    long step = Math.min(settings.maxBackoff().toMillis(), initial << Math.min(failedAttempt - 1, 20));
    return Duration.ofMillis(step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1));
  }

  /** {@code retry-after-ms} (OpenAI), else {@code Retry-After} as seconds or an HTTP-date. */
  static Optional<Duration> retryAfter(HttpHeaders headers, Instant now) {
    try {
      Optional<String> millis = headers.firstValue("retry-after-ms");
      if (millis.isPresent()) {
        return Optional.of(Duration.ofMillis((long) Double.parseDouble(millis.get().strip())));
      }
      Optional<String> value = headers.firstValue("retry-after").map(String::strip);
      if (value.isEmpty()) {
        return Optional.empty();
      }
      if (value.get().matches("\\d+(\\.\\d+)?")) {
        return Optional.of(Duration.ofMillis((long) (Double.parseDouble(value.get()) * 1000)));
      }
      Instant at = ZonedDateTime.parse(value.get(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
    } catch (RuntimeException unparseable) {
      return Optional.empty();
    }
  }

  /** The provider's own words from an error body ({@code error.message}), else the body, shortened. */
  static String errorMessage(String body) {
    String text = body == null ? "" : body.strip();
    try {
      JsonNode root = JSON.readTree(text);
      JsonNode error = root == null ? null : root.path("error");
      if (error != null && error.path("message").isTextual()) {
        String type = error.path("type").isTextual() ? error.path("type").asText() + ": " : "";
        return type + error.path("message").asText();
      }
      if (error != null && error.isTextual()) {
        return error.asText();
      }
      if (root != null && root.path("message").isTextual()) {
        return root.path("message").asText();
      }
    } catch (IOException | RuntimeException notJson) {
      // Fall through to the raw text.
    }
    if (text.isEmpty()) {
      return "(empty body)";
    }
    return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS) + "..." : text;
  }

  private String redact(String message) {
    return settings.hasApiKey() ? message.replace(settings.apiKey(), "[redacted]") : message;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "troupe-llm-timer");
      thread.setDaemon(true);
      return thread;
    });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }
}
