package org.buildswarm.orchestrator.store.impl;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.buildswarm.orchestrator.store.Store;
import org.h2.jdbcx.JdbcConnectionPool;

/** The embedded single-host store: one H2 file in the swarm's data directory. */
public final class H2Stores {
  private H2Stores() {}

  /** File name (without H2's {@code .mv.db} suffix) inside the data directory. */
  public static final String FILE_NAME = "store";

  public static Store inDirectory(Vertx vertx, Path dataDirectory) {
    String url = "jdbc:h2:file:" + dataDirectory.toAbsolutePath().resolve(FILE_NAME)
        // No store.trace.db beside the data: every failure already reaches the caller (and its log)
        // as an exception, and a trace file written late would outlive a removed data directory.
        + ";DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000;QUERY_CACHE_SIZE=64;TRACE_LEVEL_FILE=0"
        // Each commit is written to the file before it returns (H2's default holds commits in memory
        // for 500 ms, so a kill -9 lost acknowledged runs), and each group commit is synced to disk.
        // In the URL because H2 resets the setting to 500 ms whenever the database is opened.
        + ";WRITE_DELAY=0";
    JdbcConnectionPool pool = JdbcConnectionPool.create(url, "buildswarm", "");
    pool.setMaxConnections(8);
    return new JdbcStore(vertx, pool, pool::dispose, 4, true,
        "embedded H2 in " + dataDirectory.toAbsolutePath().normalize());
  }
}
