package org.buildswarm.orchestrator.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Write-behind for the event log: state changes are queued on the orchestrator's thread and written
 * in batches, one batch at a time and in order, so dispatching never waits for the database. A
 * failed batch is retried (with backoff) before anything after it.
 *
 * <p>Run submissions do not go through here: they are stored before they are acknowledged.
 */
public final class EventJournal {
  private static final Logger LOG = Logger.getLogger(EventJournal.class.getName());
  private static final long MAX_RETRY_DELAY_MS = 5_000;

  private final Vertx vertx;
  private final Store store;
  private final int maxBatch;
  private final ArrayDeque<StateChange> queue = new ArrayDeque<>();
  private final List<Promise<Void>> drainWaiters = new ArrayList<>();
  private boolean writing;
  private long retryDelayMs = 100;
  private long written;

  public EventJournal(Vertx vertx, Store store, int maxBatch) {
    this.vertx = vertx;
    this.store = store;
    this.maxBatch = maxBatch;
  }

  /** Must be called on the owning context. */
  public void append(StateChange change) {
    queue.add(change);
    if (!writing) {
      writeNext();
    }
  }

  /** Changes queued and not yet written. */
  public int backlog() {
    return queue.size();
  }

  /** Changes written since start. */
  public long written() {
    return written;
  }

  /** Completes once everything queued so far is written. */
  public Future<Void> drain() {
    if (queue.isEmpty() && !writing) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    drainWaiters.add(promise);
    return promise.future();
  }

  private void writeNext() {
    if (queue.isEmpty()) {
      writing = false;
      drainWaiters.forEach(Promise::tryComplete);
      drainWaiters.clear();
      return;
    }
    writing = true;
    List<StateChange> batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
    while (!queue.isEmpty() && batch.size() < maxBatch) {
      batch.add(queue.poll());
    }
    store.append(batch).onComplete(result -> {
      if (result.succeeded()) {
        written += batch.size();
        retryDelayMs = 100;
        writeNext();
      } else {
        LOG.log(Level.WARNING, "writing " + batch.size() + " events failed; retrying in " + retryDelayMs + " ms: "
            + result.cause().getMessage());
        for (int i = batch.size() - 1; i >= 0; i--) {
          queue.addFirst(batch.get(i));
        }
        long delay = retryDelayMs;
        retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2);
        vertx.setTimer(delay, id -> writeNext());
      }
    });
  }
}
