package org.buildswarm.orchestrator.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, throwaway PostgreSQL server for tests: its own data directory in a temporary folder, a
 * free port on 127.0.0.1, no password (trust). Run as root, it runs the server as the
 * {@code postgres} user, as PostgreSQL requires. Closing it stops the server and deletes its files.
 *
 * <p>Binaries come from {@code $BUILDSWARM_PG_BIN}, else the newest {@code /usr/lib/postgresql/N/bin}
 * (Debian's {@code postgresql} package), else the {@code PATH}.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "buildswarm";

  private final Path root;
  private final Path data;
  private final Path bin;
  private final int port;
  private final boolean asPostgresUser;
  private final Thread cleanup;
  private boolean durable;

  private PostgresServer(Path root, Path bin, int port, boolean asPostgresUser) {
    this.root = root;
    this.data = root.resolve("data");
    this.bin = bin;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
    this.cleanup = new Thread(this::stopQuietly, "postgres-test-cleanup");
  }

  /** Initialises and starts a new server that trades durability for speed (fine for tests). */
  public static PostgresServer start() throws Exception {
    return start(false);
  }

  /**
   * Initialises and starts a new server.
   *
   * @param durable keep PostgreSQL's defaults (fsync, synchronous commit), as for benchmarks
   */
  public static PostgresServer start(boolean durable) throws Exception {
    Path bin = binaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("buildswarm-pg-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    PostgresServer server = new PostgresServer(dir, bin, freePort(), root);
    server.durable = durable;
    Runtime.getRuntime().addShutdownHook(server.cleanup);
    try {
      if (root) {
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(dir, users.lookupPrincipalByName("postgres"));
      }
      server.run(List.of(bin.resolve("initdb").toString(), "-D", server.data.toString(), "-U", USER, "-A", "trust",
          "-E", "UTF8", "--locale=C", "--no-sync"));
      server.startServer();
      server.run(List.of(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(server.port),
          "-U", USER, USER));
      return server;
    } catch (Exception e) {
      server.close();
      throw e;
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** Creates an empty database and returns its name. */
  public String createDatabase(String name) throws Exception {
    run(List.of(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", USER, name));
    return name;
  }

  /** Stops the server (fast shutdown: clients are disconnected); {@link #startServer()} brings it back. */
  public void stopServer() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"));
  }

  /** Stops the server as a crash would: no checkpoint, clients cut off; it recovers from its WAL on start. */
  public void stopServerImmediately() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"));
  }

  public void startServer() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", root.resolve("server.log").toString(),
        "-w", "-t", "60", "-o", "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1"
            + (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"), "start"));
  }

  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  private synchronized void stopQuietly() {
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        stopServer();
      }
    } catch (Exception e) {
      // fall through to deleting; a server that will not stop is killed with its directory gone
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      // best effort
    }
  }

  private void run(List<String> command) throws Exception {
    List<String> full = new ArrayList<>();
    if (asPostgresUser) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    Path output = Files.createTempFile("buildswarm-pg-cmd-", ".log");
    try {
      Process process = new ProcessBuilder(full).directory(root.toFile()).redirectErrorStream(true)
          .redirectOutput(output.toFile()).start();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
      if (process.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "):\n"
            + Files.readString(output, StandardCharsets.UTF_8));
      }
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static Path binaries() throws IOException {
    String configured = System.getenv("BUILDSWARM_PG_BIN");
    if (configured != null) {
      return Path.of(configured);
    }
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        Path newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
            .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))))
            .orElse(null);
        if (newest != null) {
          return newest.resolve("bin");
        }
      }
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, "initdb"))) {
        return Path.of(dir);
      }
    }
    throw new IOException("PostgreSQL server binaries not found: install Debian's postgresql package "
        + "(./test.sh does) or set BUILDSWARM_PG_BIN");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
