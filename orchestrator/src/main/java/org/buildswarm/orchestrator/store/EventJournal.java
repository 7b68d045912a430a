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
  /** Changes that must go into the same batch as the one after them ({@link #appendTogether}). */
  private final java.util.Set<StateChange> joinedToNext = java.util.Collections.newSetFromMap(
      new java.util.IdentityHashMap<>());
  private final java.util.TreeMap<Long, List<Promise<Void>>> waiters = new java.util.TreeMap<>();
  private io.vertx.core.Handler<FencedException> fenced = failure -> { };
  private boolean writing;
  private boolean failing;
  /** Set by {@link #close()}: nothing more is written or retried. */
  private boolean closed;
  private long retryTimer = -1;
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
    if (closed) {
      LOG.warning("a state change came after the journal closed and is not written: " + change);
      return;
    }
    queue.add(change);
    appended++;
    if (!writing) {
      writeNext();
    }
  }

  /**
   * Appends these so that they are written in one batch, that is one transaction of the store: a
   * crash keeps all of them or none. Must be called on the owning context.
   */
  public void appendTogether(List<StateChange> changes) {
    if (closed) {
      LOG.warning("state changes came after the journal closed and are not written: " + changes);
      return;
    }
    for (int i = 0; i < changes.size(); i++) {
      StateChange change = changes.get(i);
      queue.add(change);
      appended++;
      if (i < changes.size() - 1) {
        joinedToNext.add(change);
      }
    }
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
   * Completes once everything appended so far is written, or fails after {@code timeoutMs} (the store
   * is away and writes are being retried): a stopping orchestrator must not wait for ever.
   */
  public Future<Void> drain(long timeoutMs) {
    Future<Void> drained = drain();
    if (drained.isComplete()) {
      return drained;
    }
    Promise<Void> bounded = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> bounded.tryFail(new java.util.concurrent.TimeoutException(
        "the store took no events for " + timeoutMs + " ms; " + (appended - written) + " state changes are not written")));
    drained.onComplete(result -> {
      vertx.cancelTimer(timer);
      if (result.succeeded()) {
        bounded.tryComplete();
      } else {
        bounded.tryFail(result.cause());
      }
    });
    return bounded.future();
  }

  /**
   * Stops writing: no retry runs after this and whoever still waits is told what was not written. A
   * batch already handed to the store may still land. Must be called on the owning context.
   */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (retryTimer >= 0) {
      vertx.cancelTimer(retryTimer);
    }
    long unwritten = appended - written;
    if (unwritten > 0) {
      LOG.warning("stopping with " + unwritten + " state changes not written (the event journal is write-behind;"
          + " docs/architecture.md says what that can lose)");
    }
    IllegalStateException stopped = new IllegalStateException("the orchestrator stopped before this was written");
    waiters.values().forEach(list -> list.forEach(promise -> promise.tryFail(stopped)));
    waiters.clear();
    queue.clear();
    joinedToNext.clear();
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
    retryTimer = -1;
    if (closed || queue.isEmpty()) {
      writing = false;
      return;
    }
    writing = true;
    List<StateChange> batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
    boolean joined = false;
    while (!queue.isEmpty() && (batch.size() < maxBatch || joined)) {
      StateChange change = queue.poll();
      joined = joinedToNext.remove(change);
      batch.add(change);
    }
    store.append(batch).onComplete(result -> {
      if (closed) {
        writing = false;
        return;
      }
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
          if (i < batch.size() - 1) {
            joinedToNext.add(batch.get(i)); // the same batch again, so what had to go together still does
          }
        }
        long delay = retryDelayMs;
        retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2);
        retryTimer = vertx.setTimer(delay, id -> writeNext());
      }
    });
  }
}
