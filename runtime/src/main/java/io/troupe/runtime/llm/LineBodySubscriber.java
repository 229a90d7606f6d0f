package io.troupe.runtime.llm;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Feeds a response body, line by line as it arrives, to a {@link ProviderHttp.LineParser}, on the
 * HTTP client's threads. Its body is available at once (a future of the parsed result), so the
 * response future completes when the headers arrive and the stream is parsed as it flows.
 * Lines end at LF; a CR before it is dropped. Splitting on the LF byte is safe for UTF-8.
 */
final class LineBodySubscriber<T> implements BodySubscriber<CompletableFuture<T>> {

  private final String provider;
  private final ProviderHttp.LineParser<T> parser;
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private volatile Flow.Subscription subscription;

  LineBodySubscriber(String provider, ProviderHttp.LineParser<T> parser) {
    this.provider = provider;
    this.parser = parser;
    // Whoever gives up on the result (deadline, caller) also stops the download.
    result.whenComplete((value, failure) -> cancel());
  }

  @Override
  public CompletionStage<CompletableFuture<T>> getBody() {
    return CompletableFuture.completedFuture(result);
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    this.subscription = subscription;
    if (result.isDone()) {
      subscription.cancel();
    } else {
      subscription.request(Long.MAX_VALUE);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    if (result.isDone()) {
      return;
    }
    try {
      for (ByteBuffer buffer : buffers) {
        while (buffer.hasRemaining()) {
          byte b = buffer.get();
          if (b == '\n') {
            emitLine();
          } else {
            pending.write(b);
          }
        }
      }
    } catch (RuntimeException e) {
      result.completeExceptionally(asLlmException(e));
    }
  }

  @Override
  public void onError(Throwable throwable) {
    result.completeExceptionally(
        new LlmException(provider, 0, "response stream broke: " + describe(throwable), throwable));
  }

  @Override
  public void onComplete() {
    if (result.isDone()) {
      return;
    }
    try {
      if (pending.size() > 0) {
        emitLine();
      }
      result.complete(parser.finish());
    } catch (RuntimeException e) {
      result.completeExceptionally(asLlmException(e));
    }
  }

  private void emitLine() {
    byte[] bytes = pending.toByteArray();
    pending.reset();
    int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
    parser.line(new String(bytes, 0, length, StandardCharsets.UTF_8));
  }

  private void cancel() {
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  private LlmException asLlmException(RuntimeException e) {
    return e instanceof LlmException llm ? llm : new LlmException(provider, 0, "malformed response: " + describe(e), e);
  }

  static String describe(Throwable t) {
    String message = t.getMessage();
    return t.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
  }
}
