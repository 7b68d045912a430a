package org.buildswarm.orchestrator.store.impl;

import io.vertx.pgclient.PgConnectOptions;

/**
 * Where the PostgreSQL store lives.
 *
 * @param poolSize connections kept open (default {@value #DEFAULT_POOL_SIZE})
 */
public record PgStoreOptions(String host, int port, String database, String user, String password, int poolSize) {
  public static final int DEFAULT_PORT = 5432;
  public static final int DEFAULT_POOL_SIZE = 8;

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost(host).setPort(port).setDatabase(database).setUser(user)
        .setPassword(password == null ? "" : password).setReconnectAttempts(0)
        // A commit returns once it is on disk, whatever the server's default: acknowledgements
        // (a 201, a drone's final report) go out only after the change is durable.
        .addProperty("synchronous_commit", "on");
  }

  /**
   * Reads {@code postgresql://user:password@host:port/database} (the libpq URI form, also accepted
   * with a {@code jdbc:} prefix).
   */
  public static PgStoreOptions fromUri(String uri) {
    java.net.URI parsed = java.net.URI.create(uri.startsWith("jdbc:") ? uri.substring(5) : uri);
    if (!"postgresql".equals(parsed.getScheme()) && !"postgres".equals(parsed.getScheme())) {
      throw new IllegalArgumentException("a PostgreSQL store URI starts with postgresql://, not " + uri);
    }
    String user = "buildswarm";
    String password = null;
    if (parsed.getUserInfo() != null) {
      String[] parts = parsed.getUserInfo().split(":", 2);
      user = java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8);
      password = parts.length > 1 ? java.net.URLDecoder.decode(parts[1], java.nio.charset.StandardCharsets.UTF_8) : null;
    }
    String database = parsed.getPath() == null || parsed.getPath().length() <= 1 ? "buildswarm" : parsed.getPath().substring(1);
    return new PgStoreOptions(parsed.getHost() == null ? "127.0.0.1" : parsed.getHost(),
        parsed.getPort() < 0 ? DEFAULT_PORT : parsed.getPort(), database, user, password, DEFAULT_POOL_SIZE);
  }
}
