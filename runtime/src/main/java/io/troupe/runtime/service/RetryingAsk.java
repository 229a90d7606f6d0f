package io.troupe.runtime.service;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import java.util.function.Function;
import org.apache.pekko.pattern.AskTimeoutException;
import org.apache.pekko.pattern.StatusReply;

/**
 * Asks an entity again after an attempt times out, up to a bounded number of attempts. While a
 * shard moves between nodes (a node leaving, a rebalance) Pekko drops commands it had buffered
 * for it, and only a new attempt reaches the entity on its new node. Used only for commands that
 * are safe to repeat: reads, and writes that carry an idempotency key or are idempotent by nature.
 * The application services ask through one of these, so every door waits the same.
 */
public final class RetryingAsk {

  private final Duration attemptTimeout;
  private final int attempts;

  public RetryingAsk(Duration attemptTimeout, int attempts) {
    this.attemptTimeout = attemptTimeout;
    this.attempts = attempts;
  }

  public <M, R> CompletionStage<R> ask(EntityRef<M> ref, Function<ActorRef<R>, M> command) {
    return attempt(() -> ref.ask(command::apply, attemptTimeout), 1);
  }

  public <M, R> CompletionStage<R> askWithStatus(EntityRef<M> ref, Function<ActorRef<StatusReply<R>>, M> command) {
    return attempt(() -> ref.askWithStatus(command::apply, attemptTimeout), 1);
  }

  /**
   * As {@link #askWithStatus}, but attempts go on (each at most the attempt timeout) until
   * {@code within} is spent, for callers that have a time budget of their own (a tool call).
   */
  public <M, R> CompletionStage<R> askWithStatusWithin(EntityRef<M> ref, Function<ActorRef<StatusReply<R>>, M> command,
                                                       Duration within) {
    return until(ref, command, System.nanoTime() + within.toNanos());
  }

  private <M, R> CompletionStage<R> until(EntityRef<M> ref, Function<ActorRef<StatusReply<R>>, M> command, long deadline) {
    long left = deadline - System.nanoTime();
    Duration attempt = Duration.ofNanos(Math.max(1, Math.min(attemptTimeout.toNanos(), left)));
    return ref.askWithStatus(command::apply, attempt).handle((result, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(result);
      }
      if (timedOut(error) && deadline - System.nanoTime() > LAST_ATTEMPT_MARGIN.toNanos()) {
        return until(ref, command, deadline);
      }
      return CompletableFuture.<R>failedFuture(error);
    }).thenCompose(stage -> stage);
  }

  /** Below this much time left, another attempt could not be answered anyway. */
  private static final Duration LAST_ATTEMPT_MARGIN = Duration.ofMillis(500);

  /** How long all attempts may take at most (attempts × timeout, plus the pauses). */
  public Duration worstCase() {
    return attemptTimeout.multipliedBy(attempts).plusMillis(200L * (attempts - 1));
  }

  private <R> CompletionStage<R> attempt(java.util.function.Supplier<CompletionStage<R>> ask, int n) {
    return ask.get().handle((result, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(result);
      }
      if (n < attempts && timedOut(error)) {
        // A short pause lets a moving shard settle before the next attempt.
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
            .thenCompose(x -> attempt(ask, n + 1));
      }
      return CompletableFuture.<R>failedFuture(error);
    }).thenCompose(stage -> stage);
  }

  private static boolean timedOut(Throwable e) {
    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return t instanceof TimeoutException || t instanceof AskTimeoutException;
  }
}
