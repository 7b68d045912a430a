package org.buildswarm.orchestrator.store;

import static io.vertx.core.Future.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.buildswarm.orchestrator.store.impl.H2Stores;
import org.buildswarm.protocol.api.Role;
import org.buildswarm.protocol.api.TokenSummary;
import org.junit.jupiter.api.Test;
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

  /**
   * A store file made by the release before the migrations shared one folder (schema V12, each
   * database's migrations in its own folder, one admin token named "old"): Flyway checks every
   * applied migration's checksum, so moving them must change none.
   */
  @Test
  void aStoreMadeWhenEachDatabaseHadItsOwnMigrationsFolderOpensWithItsData(@TempDir Path earlier) throws Exception {
    try (InputStream packed = getClass().getResourceAsStream("/stores/h2-schema-v12-per-database-migrations.mv.db.gz");
        InputStream file = new GZIPInputStream(packed)) {
      Files.copy(file, earlier.resolve(H2Stores.FILE_NAME + ".mv.db"));
    }
    Store upgraded = H2Stores.inDirectory(vertx, earlier);
    await(upgraded.start());
    try {
      assertThat(await(upgraded.identity())).isEqualTo("d9390e86-4bd5-4b09-b7c3-a5d3a1474fc1");
      assertThat(await(upgraded.listTokens())).extracting(TokenSummary::name, TokenSummary::role)
          .containsExactly(org.assertj.core.api.Assertions.tuple("old", Role.ADMIN));
      assertThat(await(upgraded.createRun(newRun("p", "name: one\njobs:\n  a: {steps: [x]}\n"))).runId()).isPositive();
    } finally {
      await(upgraded.close());
    }
  }
}
