package org.buildswarm.orchestrator.ha;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import java.util.logging.Logger;
import org.buildswarm.orchestrator.store.impl.PgStoreOptions;

/**
 * Leadership among orchestrators sharing one PostgreSQL: a session advisory lock held on a
 * connection of its own. It is lost when that connection is (the leader died, or lost the
 * database), which {@link #lost()} reports; the server notices a vanished client within seconds
 * thanks to short TCP keepalives on that session.
 */
public final class LeaderLock {
  private static final Logger LOG = Logger.getLogger(LeaderLock.class.getName());
  /** The advisory lock's key: "bswarm" in ASCII. */
  static final long KEY = 0x6273_7761_726dL;
  private static final long PING_MS = 2_000;

  private final Vertx vertx;
  private final PgStoreOptions options;
  private PgConnection connection;
  private Promise<Void> lost;
  private long pingTimer = -1;

  public LeaderLock(Vertx vertx, PgStoreOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  /** Tries once: true if this node now holds the lock. */
  public Future<Boolean> tryAcquire() {
    return PgConnection.connect(vertx, options.connectOptions()).compose(opened -> opened
        .query("SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3").execute()
        .compose(set -> opened.query("SELECT pg_try_advisory_lock(" + KEY + ")").execute())
        .map(rows -> {
          Row row = rows.iterator().next();
          if (!row.getBoolean(0)) {
            opened.close();
            return false;
          }
          hold(opened);
          return true;
        })
        .onFailure(failure -> opened.close()));
  }

  private void hold(PgConnection held) {
    connection = held;
    lost = Promise.promise();
    Promise<Void> mine = lost;
    held.closeHandler(v -> mine.tryComplete());
    held.exceptionHandler(failure -> LOG.warning("leader lock connection: " + failure.getMessage()));
    pingTimer = vertx.setPeriodic(PING_MS, id -> held.query("SELECT 1").execute().onFailure(failure -> {
      LOG.warning("the leader lock's connection does not answer: " + failure.getMessage());
      held.close();
      mine.tryComplete();
    }));
  }

  /** Completes when the held lock is gone (its connection closed or stopped answering). */
  public Future<Void> lost() {
    return lost == null ? Future.failedFuture("not held") : lost.future();
  }

  /** Gives the lock up (if held). */
  public Future<Void> release() {
    vertx.cancelTimer(pingTimer);
    PgConnection held = connection;
    connection = null;
    return held == null ? Future.succeededFuture() : held.close();
  }
}
