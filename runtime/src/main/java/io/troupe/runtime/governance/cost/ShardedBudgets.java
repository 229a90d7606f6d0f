package io.troupe.runtime.governance.cost;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The budgets as {@link Budget} entities anywhere in the cluster. A Reserve is asked again after
 * a timeout (a shard moving between nodes drops what it buffered); that is safe because a repeated
 * reservation id is answered as before and never reserved twice.
 */
public final class ShardedBudgets implements BudgetGate {

  private static final int ATTEMPTS = 3;
  private final ClusterSharding sharding;
  private final Duration askTimeout;

  public ShardedBudgets(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  @Override
  public CompletionStage<List<Budget.Verdict>> reserve(List<String> subjects, String reservationId, double estimateUsd) {
    List<CompletableFuture<Budget.Verdict>> asks = subjects.stream()
        .map(s -> ask(s, reservationId, estimateUsd, 1).toCompletableFuture()).toList();
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).whenComplete((done, failure) -> {
      if (failure != null) {
        // One subject could not be asked: the call will not be made, so whatever the others
        // reserved is released now rather than charged at its estimate when it expires.
        settle(subjects, reservationId, 0.0);
      }
    }).thenApply(done -> {
      List<Budget.Verdict> verdicts = asks.stream().map(CompletableFuture::join).toList();
      if (verdicts.stream().anyMatch(v -> !v.granted())) {
        List<String> granted = verdicts.stream().filter(Budget.Verdict::granted).map(Budget.Verdict::subject).toList();
        settle(granted, reservationId, 0.0); // the call will not be made
      }
      return verdicts;
    });
  }

  private CompletionStage<Budget.Verdict> ask(String subject, String reservationId, double estimateUsd, int attempt) {
    return sharding.entityRefFor(Budget.ENTITY_KEY, subject)
        .<Budget.Verdict>ask(replyTo -> new Budget.Reserve(reservationId, estimateUsd, replyTo), askTimeout)
        .handle((verdict, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(verdict);
          }
          Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (attempt < ATTEMPTS && (cause instanceof TimeoutException
              || cause instanceof org.apache.pekko.pattern.AskTimeoutException)) {
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
                .thenCompose(x -> ask(subject, reservationId, estimateUsd, attempt + 1));
          }
          return CompletableFuture.<Budget.Verdict>failedFuture(cause);
        }).thenCompose(stage -> stage);
  }

  @Override
  public void settle(List<String> subjects, String reservationId, double actualUsd) {
    subjects.forEach(s -> sharding.entityRefFor(Budget.ENTITY_KEY, s).tell(new Budget.Settle(reservationId, actualUsd)));
  }
}
