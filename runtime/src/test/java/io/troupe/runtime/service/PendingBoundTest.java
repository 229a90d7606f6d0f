package io.troupe.runtime.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Per-key bound of pending requests: refused beyond it without running, freed as answers come, keys forgotten. */
class PendingBoundTest {

  @Test
  void beyondTheBoundARequestIsRefusedBusyWithoutRunningAndAnAnswerFreesItsPlace() {
    AtomicInteger refusals = new AtomicInteger();
    PendingBound bound = new PendingBound(2, "publishes are waiting on topic", refusals::incrementAndGet);
    CompletableFuture<String> first = new CompletableFuture<>();
    CompletableFuture<String> second = new CompletableFuture<>();
    AtomicInteger ran = new AtomicInteger();

    bound.run("hot", () -> first);
    bound.run("hot", () -> second);
    var refused = bound.run("hot", () -> {
      ran.incrementAndGet();
      return CompletableFuture.completedFuture("never");
    }).toCompletableFuture();
    var other = bound.run("cold", () -> CompletableFuture.completedFuture("ok")).toCompletableFuture();

    assertEquals(0, ran.get(), "a refused request is not run");
    CompletionException e = assertThrows(CompletionException.class, refused::join);
    Refused busy = (Refused) e.getCause();
    assertEquals(Refused.Reason.BUSY, busy.reason());
    assertEquals(1, busy.retryAfterSeconds());
    assertTrue(busy.getMessage().contains("2 publishes are waiting on topic 'hot'"), busy.getMessage());
    assertEquals(1, refusals.get());
    assertEquals("ok", other.join(), "another key is not held up");

    first.complete("done");
    assertEquals(1, bound.pending("hot"));
    assertFalse(bound.run("hot", () -> CompletableFuture.completedFuture("again")).toCompletableFuture()
        .isCompletedExceptionally(), "a place freed by an answer is taken again");
    second.completeExceptionally(new IllegalStateException("failed"));
    assertEquals(0, bound.pending("hot"), "a failed answer frees its place too; an idle key is forgotten");
  }
}
