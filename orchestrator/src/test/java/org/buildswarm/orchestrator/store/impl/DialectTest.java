package org.buildswarm.orchestrator.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The statements the two databases write differently (the contract suite runs them on both). */
class DialectTest {
  private static final StoreSql.Rows HEADS = new StoreSql.Rows("heads", List.of("project", "ref"),
      List.of("project", "ref", "sha"));

  @Test
  void postgresqlNumbersTheParametersButNotAQuestionMarkInsideAString() {
    assertThat(Dialect.POSTGRESQL.sql("SELECT * FROM t WHERE a = ? AND b = 'what?' AND c = ?"))
        .isEqualTo("SELECT * FROM t WHERE a = $1 AND b = 'what?' AND c = $2");
    assertThat(Dialect.H2.sql("SELECT * FROM t WHERE a = ?")).isEqualTo("SELECT * FROM t WHERE a = ?");
  }

  @Test
  void aReplacedRowKeepsItsKeyAndTakesEveryOtherColumn() {
    assertThat(Dialect.H2.replace(HEADS)).isEqualTo("MERGE INTO heads (project, ref, sha) KEY (project, ref) VALUES (?, ?, ?)");
    assertThat(Dialect.POSTGRESQL.replace(HEADS)).isEqualTo("INSERT INTO heads (project, ref, sha) VALUES ($1, $2, $3)"
        + " ON CONFLICT (project, ref) DO UPDATE SET sha = EXCLUDED.sha");
  }

  @Test
  void anInsertUnlessPresentMatchesOnEveryKeyColumn() {
    assertThat(Dialect.H2.insertUnlessPresent(HEADS)).isEqualTo("MERGE INTO heads USING (VALUES (?, ?, ?))"
        + " AS s (project, ref, sha) ON heads.project = s.project AND heads.ref = s.ref"
        + " WHEN NOT MATCHED THEN INSERT (project, ref, sha) VALUES (s.project, s.ref, s.sha)");
    assertThat(Dialect.POSTGRESQL.insertUnlessPresent(HEADS)).isEqualTo(
        "INSERT INTO heads (project, ref, sha) VALUES ($1, $2, $3) ON CONFLICT (project, ref) DO NOTHING");
  }
}
