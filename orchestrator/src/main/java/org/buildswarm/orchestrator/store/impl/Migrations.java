package org.buildswarm.orchestrator.store.impl;

/**
 * Where Flyway finds the schema: one folder of migrations both databases run, and each database's
 * own folder for the two early migrations that named H2's CLOB and PostgreSQL's TEXT apart. Those
 * stay as they were because Flyway checks every applied migration's checksum; new migrations go
 * into the shared folder and write {@code TEXT} for long text, which H2 reads as a VARCHAR of up to
 * 1,000,000,000 characters.
 */
final class Migrations {
  private Migrations() {}

  static final String SHARED = "classpath:db/migration/common";

  /** @param database {@code h2} or {@code postgresql} */
  static String[] locations(String database) {
    return new String[] {SHARED, "classpath:db/migration/" + database};
  }
}
