package org.buildswarm.orchestrator.store.impl;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What H2 and PostgreSQL say differently, and only that: how parameters are written, how a row is
 * replaced or inserted unless present, and how an insert hands back the id it made. Every other
 * statement is {@link StoreSql}'s, one text for both.
 */
enum Dialect {
  H2 {
    @Override
    String sql(String portable) {
      return portable;
    }

    @Override
    String replace(StoreSql.Rows rows) {
      String table = rows.table();
      List<String> keys = rows.key();
      List<String> columns = rows.columns();
      return "MERGE INTO " + table + " (" + String.join(", ", columns) + ") KEY (" + String.join(", ", keys) + ")"
          + " VALUES (" + parameters(columns.size()) + ")";
    }

    @Override
    String insertUnlessPresent(StoreSql.Rows rows) {
      String table = rows.table();
      List<String> keys = rows.key();
      List<String> columns = rows.columns();
      // H2 has no ON CONFLICT outside its PostgreSQL mode; the standard MERGE counts only what it inserted.
      String matched = keys.stream().map(key -> table + "." + key + " = s." + key).collect(Collectors.joining(" AND "));
      return "MERGE INTO " + table + " USING (VALUES (" + parameters(columns.size()) + ")) AS s ("
          + String.join(", ", columns) + ") ON " + matched + " WHEN NOT MATCHED THEN INSERT ("
          + String.join(", ", columns) + ") VALUES (" + columns.stream().map(c -> "s." + c).collect(Collectors.joining(", "))
          + ")";
    }

    @Override
    String returningId(String insert) {
      return insert; // the JDBC store asks for generated keys instead
    }
  },

  POSTGRESQL {
    @Override
    String sql(String portable) {
      StringBuilder numbered = new StringBuilder(portable.length() + 16);
      int parameter = 0;
      boolean quoted = false;
      for (int i = 0; i < portable.length(); i++) {
        char c = portable.charAt(i);
        if (c == '\'') {
          quoted = !quoted;
        }
        if (c == '?' && !quoted) {
          numbered.append('$').append(++parameter);
        } else {
          numbered.append(c);
        }
      }
      return numbered.toString();
    }

    @Override
    String replace(StoreSql.Rows rows) {
      String table = rows.table();
      List<String> keys = rows.key();
      List<String> columns = rows.columns();
      return sql("INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES (" + parameters(columns.size())
          + ") ON CONFLICT (" + String.join(", ", keys) + ") DO UPDATE SET " + columns.stream()
              .filter(column -> !keys.contains(column))
              .map(column -> column + " = EXCLUDED." + column)
              .collect(Collectors.joining(", ")));
    }

    @Override
    String insertUnlessPresent(StoreSql.Rows rows) {
      String table = rows.table();
      List<String> keys = rows.key();
      List<String> columns = rows.columns();
      return sql("INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES (" + parameters(columns.size())
          + ") ON CONFLICT (" + String.join(", ", keys) + ") DO NOTHING");
    }

    @Override
    String returningId(String insert) {
      return sql(insert + " RETURNING id");
    }
  };

  /** A statement of {@link StoreSql} as this database writes its parameters. */
  abstract String sql(String portable);

  /** Inserts a row, or replaces the non-key columns of the row with its key. */
  abstract String replace(StoreSql.Rows rows);

  /** Inserts a row unless one with its key exists; the update count says which happened. */
  abstract String insertUnlessPresent(StoreSql.Rows rows);

  /** An insert that hands back the id the database gave the row. */
  abstract String returningId(String insert);

  private static String parameters(int count) {
    return String.join(", ", java.util.Collections.nCopies(count, "?"));
  }
}
