package io.troupe.runtime.tool;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read up to a number of bytes, without blocking: once the limit is passed the
 * subscription is cancelled (closing the connection) and what was read so far is the body.
 */
final class CappedBody implements HttpResponse.BodySubscriber<CappedBody.Bytes> {

  /** The bytes kept, and whether more were sent. */
  record Bytes(byte[] data, boolean truncated) {}

  private final int maxBytes;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CompletableFuture<Bytes> body = new CompletableFuture<>();
  private volatile Flow.Subscription subscription;

  CappedBody(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public CompletionStage<Bytes> getBody() {
    return body;
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    this.subscription = subscription;
    if (body.isDone()) {
      subscription.cancel();
    } else {
      subscription.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    if (body.isDone()) {
      return; // cut or cancelled: the rest is not wanted
    }
    for (ByteBuffer buffer : buffers) {
      int room = maxBytes - bytes.size();
      int take = Math.min(room, buffer.remaining());
      byte[] chunk = new byte[take];
      buffer.get(chunk);
      bytes.write(chunk, 0, take);
      if (buffer.hasRemaining()) {
        subscription.cancel();
        body.complete(new Bytes(bytes.toByteArray(), true));
        return;
      }
    }
    subscription.request(1);
  }

  @Override
  public void onError(Throwable error) {
    body.completeExceptionally(error);
  }

  @Override
  public void onComplete() {
    body.complete(new Bytes(bytes.toByteArray(), false));
  }

  /** Stops reading (the call gave up); the body completes empty-handed if it had not yet. */
  void cancel() {
    body.cancel(false);
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
