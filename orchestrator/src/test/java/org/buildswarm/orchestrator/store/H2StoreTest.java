package org.buildswarm.orchestrator.store;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.buildswarm.orchestrator.store.impl.H2Stores;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded H2 file. */
class H2StoreTest extends StoreContract {
  @TempDir
  Path directory;

  @Override
  protected Store createStore(Vertx vertx) {
    return H2Stores.inDirectory(vertx, directory);
  }

  @Override
  protected Store reopenStore(Vertx vertx) {
    return H2Stores.inDirectory(vertx, directory);
  }
}
