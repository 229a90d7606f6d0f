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
    PendingBound bound = new PendingBound(2, java.time.Duration.ofSeconds(10), "publishes are waiting on topic",
        refusals::incrementAndGet);
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

  @Test
  void whileTheLastAnswerWaitedTooLongOnlyTheFirstFewPendingAreAdmitted() throws Exception {
    AtomicInteger refusals = new AtomicInteger();
    PendingBound bound = new PendingBound(100, java.time.Duration.ofMillis(1), "publishes are waiting on topic",
        refusals::incrementAndGet);
    java.util.List<CompletableFuture<String>> pending = new java.util.ArrayList<>();
    for (int i = 0; i <= PendingBound.ALWAYS_ADMITTED; i++) {
      CompletableFuture<String> f = new CompletableFuture<>();
      pending.add(f);
      bound.run("slow", () -> f);
    }
    assertEquals(0, refusals.get(), "nothing answered yet: no wait measured, all admitted");
    Thread.sleep(5);
    pending.get(0).complete("waited 5 ms"); // the last answer waited longer than 1 ms; 4 still pending

    var refused = bound.run("slow", () -> CompletableFuture.completedFuture("never")).toCompletableFuture();
    CompletionException e = assertThrows(CompletionException.class, refused::join);
    assertEquals(Refused.Reason.BUSY, ((Refused) e.getCause()).reason());
    assertTrue(e.getCause().getMessage().contains("the last for"), e.getCause().getMessage());
    assertEquals(1, refusals.get());

    pending.get(1).complete("done"); // 3 pending: below the always-admitted few
    assertEquals("measured again", bound.run("slow", () -> CompletableFuture.completedFuture("measured again"))
        .toCompletableFuture().join());
  }
}
