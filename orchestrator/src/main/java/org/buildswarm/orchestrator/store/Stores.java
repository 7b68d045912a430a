package org.buildswarm.orchestrator.store;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.buildswarm.orchestrator.store.impl.H2Stores;
import org.buildswarm.orchestrator.store.impl.PgStore;
import org.buildswarm.orchestrator.store.impl.PgStoreOptions;

/** Opens the store a setting names: a PostgreSQL URI, or else the embedded H2 file in a directory. */
public final class Stores {
  private Stores() {}

  /**
   * @param uri {@code postgresql://user:password@host:port/database}, or null/blank for the embedded
   *     H2 file in {@code dataDirectory}
   */
  public static Store open(Vertx vertx, String uri, Path dataDirectory) {
    if (uri == null || uri.isBlank()) {
      return H2Stores.inDirectory(vertx, dataDirectory);
    }
    return new PgStore(vertx, PgStoreOptions.fromUri(uri));
  }

  /** A description for logs and banners, without the password. */
  public static String describe(String uri, Path dataDirectory) {
    if (uri == null || uri.isBlank()) {
      return "embedded H2 in " + dataDirectory.toAbsolutePath().normalize();
    }
    PgStoreOptions options = PgStoreOptions.fromUri(uri);
    return "PostgreSQL " + options.user() + "@" + options.host() + ":" + options.port() + "/" + options.database();
  }
}
