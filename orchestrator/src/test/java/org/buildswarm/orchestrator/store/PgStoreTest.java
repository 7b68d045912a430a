package org.buildswarm.orchestrator.store;

import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicInteger;
import org.buildswarm.orchestrator.store.impl.PgStore;
import org.buildswarm.orchestrator.store.impl.PgStoreOptions;
import org.buildswarm.orchestrator.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract on a real PostgreSQL server (one server, a fresh database per test). */
class PgStoreTest extends StoreContract {
  private static PostgresServer server;
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private String database;

  @BeforeAll
  static void startServer() throws Exception {
    server = PostgresServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected Store createStore(Vertx vertx) throws Exception {
    database = server.createDatabase("contract_" + DATABASES.incrementAndGet());
    return reopenStore(vertx);
  }

  @Override
  protected Store reopenStore(Vertx vertx) {
    return new PgStore(vertx, new PgStoreOptions(server.host(), server.port(), database, PostgresServer.USER, null, 4));
  }
}
