package org.buildswarm.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.buildswarm.protocol.EventType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The write-behind journal when the store will not take its events: bounded waits, a clean stop. */
class EventJournalTest {
  private final Vertx vertx = Vertx.vertx();
  private final AtomicInteger appendCalls = new AtomicInteger();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A store whose every append fails, as a store that went away. */
  private Store refusingStore() {
    return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
        (proxy, method, args) -> {
          if (method.getName().equals("append")) {
            appendCalls.incrementAndGet();
            return Future.failedFuture(new java.sql.SQLException("Could not sync file"));
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  private static StateChange change(long run) {
    return StateChange.of(1, run, null, EventType.RUN_EXTENDED, Map.of());
  }

  @Test
  void aStoppingOrchestratorIsNotHeldForEverByAStoreThatWillNotWrite() throws Exception {
    EventJournal journal = new EventJournal(vertx, refusingStore(), 16);
    Future<Void> waiter = onContext(() -> {
      journal.append(change(1));
      return journal.whenWritten(journal.appended());
    });
    Throwable drained = onContext(() -> journal.drain(300)).toCompletionStage().toCompletableFuture()
        .handle((ok, failure) -> failure).get(10, TimeUnit.SECONDS);
    assertThat(drained).isInstanceOf(TimeoutException.class).hasMessageContaining("1 state changes are not written");
    assertThat(journal.failing()).isTrue();

    onContext(() -> {
      journal.close();
      return Future.succeededFuture();
    });
    Throwable told = waiter.toCompletionStage().toCompletableFuture().handle((ok, failure) -> failure)
        .get(10, TimeUnit.SECONDS);
    assertThat(told).as("whoever waited is told").hasMessageContaining("stopped before");
    int callsAtClose = appendCalls.get();
    Thread.sleep(1_000);
    assertThat(appendCalls.get()).as("no retry after the close").isEqualTo(callsAtClose);
    onContext(() -> {
      journal.append(change(2));
      return Future.succeededFuture();
    });
    assertThat(appendCalls.get()).as("nothing written after the close").isEqualTo(callsAtClose);
  }

  @Test
  void changesAppendedTogetherAreWrittenInOneBatchWhateverTheBatchSize() throws Exception {
    List<List<Long>> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    Store recording = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
        (proxy, method, args) -> {
          if (method.getName().equals("append")) {
            @SuppressWarnings("unchecked")
            List<StateChange> batch = (List<StateChange>) args[0];
            batches.add(batch.stream().map(StateChange::runId).toList());
            return calls.incrementAndGet() == 2 ? Future.failedFuture(new java.sql.SQLException("away"))
                : Future.succeededFuture();
          }
          throw new UnsupportedOperationException(method.getName());
        });
    EventJournal journal = new EventJournal(vertx, recording, 2);
    onContext(() -> {
      journal.append(change(1));
      journal.appendTogether(List.of(change(2), change(3), change(4), change(5)));
      journal.append(change(6));
      journal.append(change(7));
      return journal.whenWritten(journal.appended());
    }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(batches).as("the group failed once and was retried whole").containsExactly(
        List.of(1L), List.of(2L, 3L, 4L, 5L), List.of(2L, 3L, 4L, 5L), List.of(6L, 7L));
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> work) throws Exception {
    var context = vertx.getOrCreateContext();
    var result = new java.util.concurrent.CompletableFuture<Future<T>>();
    context.runOnContext(v -> result.complete(work.get()));
    return result.get(10, TimeUnit.SECONDS);
  }
}
