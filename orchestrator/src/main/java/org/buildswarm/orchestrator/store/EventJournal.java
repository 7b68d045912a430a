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
  private final java.util.TreeMap<Long, List<Promise<Void>>> waiters = new java.util.TreeMap<>();
  private io.vertx.core.Handler<FencedException> fenced = failure -> { };
  private boolean writing;
  private boolean failing;
  private long retryDelayMs = 100;
  private long appended;
  private long written;

  public EventJournal(Vertx vertx, Store store, int maxBatch) {
    this.vertx = vertx;
    this.store = store;
    this.maxBatch = maxBatch;
  }

  /** Called (once) if the store refuses writes because a newer orchestrator took over; writing stops. */
  public void onFenced(io.vertx.core.Handler<FencedException> handler) {
    this.fenced = handler;
  }

  /** Must be called on the owning context. */
  public void append(StateChange change) {
    queue.add(change);
    appended++;
    if (!writing) {
      writeNext();
    }
  }

  /** Changes appended since start; {@link #whenWritten(long)} of this covers everything so far. */
  public long appended() {
    return appended;
  }

  /** Whether the last write failed (the store is unreachable); writes are being retried. */
  public boolean failing() {
    return failing;
  }

  /** Changes queued and not yet written. */
  public int backlog() {
    return queue.size();
  }

  /** Changes written since start. */
  public long written() {
    return written;
  }

  /** Completes once everything appended so far is written. */
  public Future<Void> drain() {
    return whenWritten(appended);
  }

  /**
   * Completes once the first {@code position} changes are durably written: acknowledge what the
   * outside world must not have to repeat (a drone's report, a user's cancel) only then.
   */
  public Future<Void> whenWritten(long position) {
    if (written >= position) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    waiters.computeIfAbsent(position, p -> new ArrayList<>()).add(promise);
    return promise.future();
  }

  private void writeNext() {
    if (queue.isEmpty()) {
      writing = false;
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
        failing = false;
        retryDelayMs = 100;
        while (!waiters.isEmpty() && waiters.firstKey() <= written) {
          waiters.pollFirstEntry().getValue().forEach(Promise::tryComplete);
        }
        writeNext();
      } else if (result.cause() instanceof FencedException fencedOff) {
        LOG.severe(fencedOff.getMessage() + "; " + (queue.size() + batch.size()) + " state changes are not written");
        failing = true;
        fenced.handle(fencedOff);
      } else {
        if (!failing) {
          LOG.log(Level.WARNING, "the store is not taking events (" + result.cause().getMessage() + "); "
              + batch.size() + " waiting, retrying until it does");
        }
        failing = true;
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
