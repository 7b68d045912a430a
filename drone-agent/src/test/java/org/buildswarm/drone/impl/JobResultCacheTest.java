package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.JobCacheSpec;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job's key from its inputs, and its outputs packed, stored, fetched and unpacked against a stand-in gateway. */
class JobResultCacheTest {
  @TempDir
  Path workspace;

  @TempDir
  Path elsewhere;

  private HttpServer gateway;
  private final Map<String, byte[]> stored = new ConcurrentHashMap<>();
  /** When set, what the stand-in serves instead of what was stored (a damaged blob). */
  private volatile byte[] servedInstead;
  private final List<String> log = new ArrayList<>();

  private static final JobCacheSpec SPEC = new JobCacheSpec("def", List.of("src/", "!src/**/*.md", "build.sh"),
      List.of("CC"), List.of("out/"), List.of("need-key"), true);

  @BeforeEach
  void startGateway() throws IOException {
    gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/api/v1/job-cache/", exchange -> {
      String key = exchange.getRequestURI().getPath().substring("/api/v1/job-cache/".length());
      if (exchange.getRequestMethod().equals("PUT")) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        assertThat(exchange.getRequestHeaders().getFirst("x-checksum-sha256")).isEqualTo(sha(body));
        stored.put(key, body);
        exchange.sendResponseHeaders(201, -1);
      } else if (stored.containsKey(key)) {
        byte[] body = servedInstead != null ? servedInstead : stored.get(key);
        exchange.getResponseHeaders().add("etag", "\"" + sha(stored.get(key)) + "\"");
        exchange.getResponseHeaders().add("x-buildswarm-run", "41");
        exchange.getResponseHeaders().add("x-buildswarm-job", "build+%28linux%29");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      } else {
        exchange.sendResponseHeaders(404, -1);
      }
      exchange.close();
    });
    gateway.start();
  }

  @AfterEach
  void stopGateway() {
    gateway.stop(0);
  }

  private JobResultCache cache() {
    return new JobResultCache(() -> "http://127.0.0.1:" + gateway.getAddress().getPort(), HttpClient.newHttpClient(),
        Duration.ofSeconds(10));
  }

  private static AssignJob job() {
    return new AssignJob("d1", 1, new AttemptRef(42, 1, 7), 3, "build", new JobExecution(List.of(new Step("s", "true")),
        Map.of(), 1, 60_000, SourceSpec.none(), List.of(), List.of()), "42.1.7.cafe");
  }

  private static String sha(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private String key(JobCacheSpec spec, Map<String, String> env) throws IOException {
    return JobResultCache.key(spec, workspace, env);
  }

  @Test
  void theKeyChangesWithEveryInputAndWithNothingElse() throws Exception {
    Files.createDirectories(workspace.resolve("src/lib"));
    Files.createDirectories(workspace.resolve(".git"));
    Files.writeString(workspace.resolve("src/lib/a.c"), "int a;\n");
    Files.writeString(workspace.resolve("src/README.md"), "docs\n");
    Files.writeString(workspace.resolve("build.sh"), "make\n");
    Files.writeString(workspace.resolve("unrelated.txt"), "x\n");
    Files.writeString(workspace.resolve(".git/index"), "git's own\n");
    Map<String, String> env = Map.of("CC", "gcc", "PATH", "/usr/bin");
    String key = key(SPEC, env);
    assertThat(key).matches("[0-9a-f]{64}").isEqualTo(key(SPEC, env));

    Files.writeString(workspace.resolve("src/README.md"), "other docs\n");
    Files.writeString(workspace.resolve("unrelated.txt"), "y\n");
    Files.writeString(workspace.resolve(".git/index"), "changed\n");
    assertThat(key(SPEC, Map.of("CC", "gcc", "PATH", "/opt/bin"))).as("excluded, unlisted and Git's files").isEqualTo(key);

    assertThat(key(SPEC, Map.of("CC", "clang"))).as("a listed variable").isNotEqualTo(key);
    assertThat(key(SPEC, Map.of())).as("a listed variable unset").isNotEqualTo(key);
    assertThat(key(SPEC.withNeedKeys(List.of("other")), env)).as("a need's key").isNotEqualTo(key);
    assertThat(key(new JobCacheSpec("def2", SPEC.inputs(), SPEC.env(), SPEC.outputs(), SPEC.needKeys(), true), env))
        .as("the definition").isNotEqualTo(key);

    Files.setPosixFilePermissions(workspace.resolve("build.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    String executable = key(SPEC, env);
    assertThat(executable).as("a file made executable").isNotEqualTo(key);
    Files.writeString(workspace.resolve("src/lib/a.c"), "int b;\n");
    assertThat(key(SPEC, env)).as("an input's content").isNotEqualTo(executable);
    Files.move(workspace.resolve("src/lib/a.c"), workspace.resolve("src/lib/b.c"));
    String moved = key(SPEC, env);
    assertThat(moved).as("an input's name").isNotEqualTo(executable);
    Files.writeString(workspace.resolve("src/lib/c.c"), "");
    assertThat(key(SPEC, env)).as("a new, empty input").isNotEqualTo(moved);
  }

  @Test
  void aDirectorySourceReadInPlaceHasTheKeyItsCopyWillHave() throws Exception {
    Path source = Files.createDirectories(elsewhere.resolve("source"));
    Files.createDirectories(source.resolve("src/.buildswarm"));
    Files.writeString(source.resolve("src/a.c"), "int a;\n");
    Files.writeString(source.resolve("src/.buildswarm/state"), "the drone's own, never copied\n");
    Files.writeString(source.resolve("build.sh"), "make\n");
    Files.setPosixFilePermissions(source.resolve("build.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    SourceFetcher fetcher = new SourceFetcher(elsewhere.resolve("mirrors"), java.util.Set.of());
    fetcher.fetch(new SourceSpec(SourceSpec.DIRECTORY, source.toString(), null), null, workspace, false);
    Map<String, String> env = Map.of("CC", "gcc");
    assertThat(JobResultCache.key(SPEC, source, env, dir -> fetcher.leavesOut(source, dir)))
        .isEqualTo(JobResultCache.key(SPEC, workspace, env));
    assertThat(JobResultCache.key(SPEC, source, env)).as("read without leaving out what the copy leaves out")
        .isNotEqualTo(JobResultCache.key(SPEC, workspace, env));
  }

  @Test
  void outputsStoredAfterOneJobAreRestoredIntoTheNextWithTheirModes() throws Exception {
    Files.createDirectories(workspace.resolve("out/bin"));
    Files.writeString(workspace.resolve("out/lib.a"), "archive\n");
    Files.writeString(workspace.resolve("out/bin/tool"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(workspace.resolve("out/bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(workspace.resolve("out/current"), Path.of("bin/tool"));
    Files.createSymbolicLink(workspace.resolve("out/escape"), elsewhere);
    Files.writeString(workspace.resolve("not-an-output"), "x\n");
    assertThat(cache().store(job(), "k1", workspace, List.of("out/"), 1500, log::add)).as("%s", log).isTrue();
    assertThat(log).anyMatch(line -> line.contains("out/escape links outside the workspace; not kept"))
        .anyMatch(line -> line.contains("stored the result under key k1"));

    Path next = Files.createDirectories(elsewhere.resolve("next-workspace"));
    Files.createDirectories(next.resolve("out"));
    Files.writeString(next.resolve("out/lib.a"), "stale, from the source\n");
    Optional<JobResultCache.Restored> restored = cache().restore(job(), "k1", next, log::add);
    assertThat(restored).as("%s", log).contains(new JobResultCache.Restored(41, "build (linux)", 2,
        "archive\n".length() + "#!/bin/sh\necho hi\n".length()));
    assertThat(next.resolve("out/lib.a")).hasContent("archive\n");
    assertThat(Files.isExecutable(next.resolve("out/bin/tool"))).isTrue();
    assertThat(Files.isExecutable(next.resolve("out/lib.a"))).isFalse();
    assertThat(Files.readSymbolicLink(next.resolve("out/current"))).isEqualTo(Path.of("bin/tool"));
    assertThat(next.resolve("out/escape")).doesNotExist();
    assertThat(next.resolve("not-an-output")).doesNotExist();
  }

  @Test
  void aMissingOrDamagedEntryIsAMissNeverAnError() throws Exception {
    assertThat(cache().restore(job(), "nothing-here", workspace, log::add)).isEmpty();
    assertThat(log).last().asString().contains("no result for key").contains("the job runs");

    Files.writeString(workspace.resolve("out.txt"), "good\n");
    assertThat(cache().store(job(), "k2", workspace, List.of("out.txt"), 10, log::add)).isTrue();
    byte[] damaged = stored.get("k2").clone();
    damaged[damaged.length / 2] ^= 0x5a;
    servedInstead = damaged;
    Path next = Files.createDirectories(elsewhere.resolve("w2"));
    assertThat(cache().restore(job(), "k2", next, log::add)).isEmpty();
    assertThat(log).last().asString().contains("is damaged");
    assertThat(next.resolve("out.txt")).doesNotExist();

    JobResultCache away = new JobResultCache(() -> null, HttpClient.newHttpClient(), Duration.ofSeconds(1));
    assertThat(away.restore(job(), "k2", next, log::add)).isEmpty();
    assertThat(away.store(job(), "k3", workspace, List.of("out.txt"), 10, log::add)).isFalse();
    assertThat(log).last().asString().contains("NOT stored");
  }

  @Test
  void anArchiveLeavingTheWorkspaceIsRefused() throws Exception {
    Files.createSymbolicLink(workspace.resolve("link"), elsewhere);
    for (String[] bad : new String[][] {{"../evil", null}, {"/etc/evil", null}, {"a/./b", null},
        {"link/through", null}, {"sneaky", "../../outside"}, {"absolute", "/etc/passwd"}}) {
      Path archive = elsewhere.resolve("bad.tgz");
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(archive)))) {
        TarArchiveEntry entry = bad[1] == null ? new TarArchiveEntry(bad[0], true)
            : new TarArchiveEntry(bad[0], TarArchiveEntry.LF_SYMLINK);
        if (bad[1] != null) {
          entry.setLinkName(bad[1]);
        } else {
          entry.setSize(4);
        }
        tar.putArchiveEntry(entry);
        if (bad[1] == null) {
          tar.write("evil".getBytes());
        }
        tar.closeArchiveEntry();
      }
      assertThatThrownBy(() -> JobResultCache.unpack(archive, workspace, new int[1])).as(bad[0])
          .isInstanceOf(IOException.class);
    }
    try (var files = Files.list(elsewhere)) {
      assertThat(files.map(path -> path.getFileName().toString())).containsExactly("bad.tgz");
    }
    assertThat(Path.of("/etc/evil")).doesNotExist();
  }

  @Test
  void aResultThatFailsHalfwayLeavesNothingInTheWorkspace() throws Exception {
    Files.writeString(workspace.resolve("from-the-source.c"), "kept\n");
    Path archive = elsewhere.resolve("half.tgz");
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(archive)))) {
      TarArchiveEntry good = new TarArchiveEntry("out/first.txt");
      good.setSize(5);
      tar.putArchiveEntry(good);
      tar.write("first".getBytes());
      tar.closeArchiveEntry();
      TarArchiveEntry bad = new TarArchiveEntry("../escape", TarArchiveEntry.LF_SYMLINK);
      bad.setLinkName("x");
      tar.putArchiveEntry(bad);
      tar.closeArchiveEntry();
    }
    assertThatThrownBy(() -> JobResultCache.unpackInto(archive, workspace, new int[1])).isInstanceOf(IOException.class);
    try (var files = Files.list(workspace)) {
      assertThat(files.map(path -> path.getFileName().toString())).containsExactly("from-the-source.c");
    }
    try (var files = Files.list(workspace.getParent())) {
      assertThat(files.map(path -> path.getFileName().toString())).noneMatch(name -> name.endsWith(".cache-restore"));
    }

    Path whole = elsewhere.resolve("whole.tgz");
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(whole)))) {
      TarArchiveEntry entry = new TarArchiveEntry("from-the-source.c");
      entry.setSize(8);
      tar.putArchiveEntry(entry);
      tar.write("restored".getBytes());
      tar.closeArchiveEntry();
    }
    JobResultCache.unpackInto(whole, workspace, new int[1]);
    assertThat(workspace.resolve("from-the-source.c")).hasContent("restored");
  }
}
