package org.buildswarm.drone.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.buildswarm.drone.SandboxOptions;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AttemptRef;
import org.buildswarm.protocol.message.JobExecution;
import org.buildswarm.protocol.message.JobOutcome;
import org.buildswarm.protocol.message.SourceSpec;
import org.buildswarm.protocol.message.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile job against the real sandbox (bubblewrap, setpriv): every way a job found to read the
 * drone's keys is tried, and each must find nothing — while the same probes without a sandbox find
 * every one of them, so a probe that cannot see a leak would fail here too.
 */
class SandboxTest {
  private static final String ADMIN_TOKEN = "admin-token-value-8d1f";
  private static final String UNDECLARED = "undeclared-secret-41c7";
  private static final String OTHER_JOB = "other-jobs-output-a93e";
  /** On the command line of the JVM running this test (surefire's booter), as a drone's carries its paths. */
  private static final String DRONE_MARKER = "surefire";
  /**
   * The marker as a pattern that does not match itself, so neither the probe's grep nor its script
   * (on bwrap's command line, as PID 1) is what it finds.
   */
  private static final String DRONE_MARKER_IN_SHELL = "'sur[e]fire'";

  @TempDir
  Path temporary;
  /** Where the drone lives: under /tmp (hidden by the job's own /tmp) or elsewhere (hidden by mounts over it). */
  private Path root;
  private Path work;
  private Path state;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeEach
  void layOut() throws Exception {
    root = temporary;
    layOut(root);
  }

  /** The drone's files somewhere outside /tmp: in the build's own directory, removed after the test. */
  private void outsideTmp() throws Exception {
    Path target = Path.of("target").toAbsolutePath();
    Files.createDirectories(target);
    root = Files.createTempDirectory(target, "sandbox-test-");
    layOut(root);
  }

  private void layOut(Path root) throws Exception {
    work = root.resolve("drone");
    state = root.resolve("state");
    Files.createDirectories(work.resolve("jobs/other-job"));
    Files.writeString(work.resolve("jobs/other-job/output.txt"), OTHER_JOB);
    Files.createDirectories(work.resolve("secrets"));
    Files.writeString(work.resolve("secrets/DECLARED"), "declared-value\n");
    Files.writeString(work.resolve("secrets/UNDECLARED"), UNDECLARED + "\n");
    Files.createDirectories(state);
    Files.writeString(state.resolve("admin.token"), ADMIN_TOKEN);
    // As the drone keeps them: only its user may read them.
    for (Path dir : List.of(work.resolve("secrets"), state)) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    Files.setPosixFilePermissions(state.resolve("admin.token"), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(work.resolve("secrets/UNDECLARED"), PosixFilePermissions.fromString("rw-------"));
  }

  @AfterEach
  void stopThreads() throws Exception {
    threads.shutdownNow();
    if (!root.equals(temporary)) {
      Trees.delete(root);
    }
  }

  /** Each probe prints LEAK:<what> only if it read what it must not. */
  private String probes() {
    String relative = "$BUILDSWARM_WORKSPACE/../../../state/admin.token";
    return String.join("\n", "set +e",
        "grep -q " + ADMIN_TOKEN + " " + state.resolve("admin.token") + " 2>/dev/null && echo LEAK:admin-absolute",
        "grep -q " + ADMIN_TOKEN + " " + relative + " 2>/dev/null && echo LEAK:admin-relative",
        "grep -q " + UNDECLARED + " " + work.resolve("secrets/UNDECLARED") + " 2>/dev/null && echo LEAK:undeclared",
        "grep -rqs " + UNDECLARED + " $BUILDSWARM_WORKSPACE/../.. && echo LEAK:undeclared-relative",
        "grep -q " + OTHER_JOB + " " + work.resolve("jobs/other-job/output.txt") + " 2>/dev/null && echo LEAK:other-job",
        "tr '\\0' ' ' < /proc/$PPID/cmdline | grep -q -- " + DRONE_MARKER_IN_SHELL + " && echo LEAK:parent-cmdline",
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done 2>/dev/null | grep -q -- "
            + DRONE_MARKER_IN_SHELL + " && echo LEAK:any-cmdline",
        "(umount " + work + " || umount -l " + work + ") 2>/dev/null; grep -q " + UNDECLARED + " "
            + work.resolve("secrets/UNDECLARED") + " 2>/dev/null && echo LEAK:after-umount",
        "unshare -Urm sh -c 'umount -l " + work + "; grep -q " + UNDECLARED + " " + work.resolve("secrets/UNDECLARED")
            + "' 2>/dev/null && echo LEAK:after-userns-umount",
        "touch /usr/buildswarm-sandbox-probe 2>/dev/null && echo LEAK:wrote-usr",
        "echo written > " + root.resolve("outside.txt") + " 2>/dev/null; true",
        "true");
  }

  private JobRunner.Result run(Sandbox sandbox, List<String> caches, Step... steps) throws Exception {
    AssignJob job = new AssignJob("d1", 1, new AttemptRef(42, 1, 7), 3, "job",
        new JobExecution(List.of(steps), Map.of(), 2, 60_000, SourceSpec.none(), List.of(), List.of("DECLARED"), null,
            caches, "shop"), "job-token");
    CompletableFuture<JobRunner.Result> result = new CompletableFuture<>();
    Path workspace = work.resolve("jobs/42-1-7");
    JobRunner.Setup setup = new JobRunner.Setup(Map.of("PATH", System.getenv("PATH")), 1_000, null, threads, null,
        new SecretsDirectory(work.resolve("secrets")), sandbox, work.resolve("caches"), 0);
    threads.execute(new JobRunner(job, workspace, work.resolve("logs/job.log"),
        new SourceFetcher(work.resolve("mirrors"), Set.of(work)), setup, new JobRunner.Listener() {
          @Override
          public void started(long at) {}

          @Override
          public void finished(JobRunner.Result finished) {
            result.complete(finished);
          }
        }));
    return result.get(60, TimeUnit.SECONDS);
  }

  private String log() throws Exception {
    return Files.readString(work.resolve("logs/job.log"));
  }

  private Sandbox bubblewrap() throws Exception {
    return Sandbox.decide(new SandboxOptions(SandboxOptions.Mode.BUBBLEWRAP, null, List.of(state), null),
        List.of(work, work.resolve("secrets")), Sandbox.toolPaths(System.getenv()));
  }

  @Test
  void withoutASandboxEveryProbeFindsItsLeak() throws Exception {
    assumeThat(ProcessHandle.current().info().commandLine().orElse("")).contains(DRONE_MARKER);
    JobRunner.Result result = run(Sandbox.none("control"), List.of(), new Step("probe", probes()));
    assertThat(result.outcome()).as(log()).isEqualTo(JobOutcome.SUCCEEDED);
    assertThat(log()).contains("LEAK:admin-absolute", "LEAK:admin-relative", "LEAK:undeclared", "LEAK:other-job",
        "LEAK:parent-cmdline", "LEAK:any-cmdline");
    assertThat(root.resolve("outside.txt")).exists();
  }

  @Test
  void inBubblewrapAJobReadsNoneOfTheDronesKeysNorOtherJobsNorItsProcesses() throws Exception {
    probeInBubblewrap();
  }

  @Test
  void outsideTmpTheDronesFilesAreHiddenByMountsAJobCannotUndo() throws Exception {
    outsideTmp();
    probeInBubblewrap();
  }

  private void probeInBubblewrap() throws Exception {
    Sandbox sandbox = bubblewrap();
    assertThat(sandbox.kind()).isEqualTo(Sandbox.Kind.BUBBLEWRAP);
    JobRunner.Result result = run(sandbox, List.of(), new Step("probe", probes()),
        new Step("declared secret still there", "test \"$DECLARED\" = declared-value"),
        new Step("processes", "ls /proc | grep -c '^[0-9]' > procs; cat procs"));
    assertThat(result.outcome()).as(log()).isEqualTo(JobOutcome.SUCCEEDED);
    assertThat(log()).doesNotContain("LEAK:").contains("==> sandbox bubblewrap:");
    assertThat(root.resolve("outside.txt")).as("writes outside the job's directories").doesNotExist();
  }

  @Test
  void realToolsWorkInsideAndCachesOutliveTheJob() throws Exception {
    Sandbox sandbox = bubblewrap();
    String build = String.join("\n",
        "printf 'all:\\n\\techo made > made.txt\\n' > Makefile && make",
        "git init -q repo && cd repo && git -c user.email=a@b -c user.name=a commit -q --allow-empty -m first",
        "git log --oneline | grep -q first",
        "cd .. && echo home > \"$HOME/file\" && echo tmp > \"$TMPDIR/file\" && test \"$TMPDIR\" = /tmp",
        "mkdir -p ~/.m2/repository && echo $(( $(cat ~/.m2/repository/runs 2>/dev/null || echo 0) + 1 ))"
            + " > ~/.m2/repository/runs",
        "echo runs=$(cat ~/.m2/repository/runs)");
    JobRunner.Result first = run(sandbox, List.of("~/.m2"), new Step("build", build));
    assertThat(first.outcome()).as(log()).isEqualTo(JobOutcome.SUCCEEDED);
    assertThat(log()).contains("runs=1");
    awaitCleanedUp(); // the next job has the same directories
    Files.delete(work.resolve("logs/job.log"));
    JobRunner.Result second = run(sandbox, List.of("~/.m2"), new Step("build", build));
    assertThat(second.outcome()).as(log()).isEqualTo(JobOutcome.SUCCEEDED);
    assertThat(log()).contains("runs=2", "caches ~/.m2 are kept");
    awaitCleanedUp();
    assertThat(work.resolve("caches/shop/home/.m2/repository/runs")).as("the cache stays").hasContent("2");
  }

  @Test
  void aMavenBuildRunsInsideAndItsCachedRepositoryMakesTheSecondBuildDownloadNothing() throws Exception {
    Sandbox sandbox = bubblewrap();
    // The drone's ~/.m2 is hidden from jobs: serve it as the job's mirror, on loopback, as a
    // repository manager would be on a build farm.
    Path repository = Path.of(System.getProperty("user.home"), ".m2", "repository").toRealPath();
    assumeThat(repository.resolve("org/apache/maven/plugins/maven-compiler-plugin/3.14.0")).isDirectory();
    com.sun.net.httpserver.HttpServer mirror = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    mirror.createContext("/", exchange -> {
      Path file = repository.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
      if (!file.startsWith(repository) || !Files.isRegularFile(file)) {
        exchange.sendResponseHeaders(404, -1);
      } else {
        exchange.sendResponseHeaders(200, Files.size(file));
        try (var out = exchange.getResponseBody()) {
          Files.copy(file, out);
        }
      }
      exchange.close();
    });
    mirror.setExecutor(threads);
    mirror.start();
    try {
      String build = String.join("\n",
          "mkdir -p src/main/java/demo",
          "printf 'package demo;\\npublic class Hello { public static void main(String[] a) {"
              + " System.out.println(\"built in the sandbox\"); } }\\n' > src/main/java/demo/Hello.java",
          "cat > pom.xml <<'EOF'",
          "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>",
          "<groupId>demo</groupId><artifactId>demo</artifactId><version>1</version>",
          "<properties><maven.compiler.release>17</maven.compiler.release>"
              + "<project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>",
          "<build><plugins>",
          "<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId>"
              + "<version>3.3.1</version></plugin>",
          "<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId>"
              + "<version>3.14.0</version></plugin>",
          "</plugins></build></project>",
          "EOF",
          "cat > settings.xml <<'EOF'",
          "<settings><mirrors><mirror><id>loopback</id><mirrorOf>*</mirrorOf><url>http://127.0.0.1:"
              + mirror.getAddress().getPort() + "/</url></mirror></mirrors></settings>",
          "EOF",
          "mvn -B -s settings.xml compile > build.log 2>&1 || { tail -40 build.log; exit 1; }",
          "echo downloads=$(grep -c 'Downloaded from' build.log)",
          "java -cp target/classes demo.Hello");
      JobRunner.Result first = run(sandbox, List.of("~/.m2"), new Step("maven", build));
      assertThat(first.outcome()).as(log()).isEqualTo(JobOutcome.SUCCEEDED);
      assertThat(log()).contains("built in the sandbox").doesNotContain("downloads=0");
      awaitCleanedUp();
      Files.delete(work.resolve("logs/job.log"));
      JobRunner.Result second = run(sandbox, List.of("~/.m2"), new Step("maven", build));
      assertThat(second.outcome()).as(log()).isEqualTo(JobOutcome.SUCCEEDED);
      assertThat(log()).as("everything came from the cache").contains("downloads=0", "built in the sandbox");
    } finally {
      mirror.stop(0);
    }
  }

  /** The job's home and temporary directory go with it, right after its report. */
  private void awaitCleanedUp() throws Exception {
    Path home = work.resolve("jobs/42-1-7" + JobRunner.HOME_SUFFIX);
    Path tmp = work.resolve("jobs/42-1-7" + JobRunner.TMP_SUFFIX);
    long deadline = System.currentTimeMillis() + 10_000;
    while ((Files.exists(home) || Files.exists(tmp)) && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    assertThat(home).as("the job's home goes with it").doesNotExist();
    assertThat(tmp).as("the job's /tmp goes with it").doesNotExist();
  }

  @Test
  void asASeparateUserAloneAJobCannotReadTheDronesPrivateFiles() throws Exception {
    assumeThat(Sandbox.currentUid()).as("a separate job user needs a root drone").isZero();
    Sandbox sandbox = Sandbox.decide(new SandboxOptions(SandboxOptions.Mode.USER, null, List.of(state), null),
        List.of(work, work.resolve("secrets")), List.of());
    assertThat(sandbox.kind()).isEqualTo(Sandbox.Kind.USER);
    assertThat(sandbox.description()).contains("nobody", "permissions only");
    JobRunner.Result result = run(sandbox, List.of(), new Step("probe", String.join("\n",
        "grep -q " + ADMIN_TOKEN + " " + state.resolve("admin.token") + " 2>/dev/null && echo LEAK:admin",
        "grep -q " + UNDECLARED + " " + work.resolve("secrets/UNDECLARED") + " 2>/dev/null && echo LEAK:undeclared",
        "test \"$(id -un)\" = nobody && echo home > \"$HOME/x\" && echo ws > here && echo ran-as-nobody")));
    assertThat(result.outcome()).as(log()).isEqualTo(JobOutcome.SUCCEEDED);
    assertThat(log()).doesNotContain("LEAK:").contains("ran-as-nobody");
  }

  @Test
  void hiddenPathsAreRealDeduplicatedAndNeverTheRoot() throws Exception {
    Path link = root.resolve("link-to-state");
    Files.createSymbolicLink(link, state);
    List<Path> hidden = Sandbox.hiddenPaths(List.of(Path.of("/"), link, state.resolve("admin.token"),
        Path.of("target").toAbsolutePath().resolve("absent-" + System.nanoTime())));
    assertThat(hidden).doesNotContain(Path.of("/"));
    // Under /tmp the job's own /tmp hides it already, and nothing absent is mounted over.
    assertThat(hidden).noneMatch(path -> path.startsWith("/tmp") || path.toString().contains("absent"));
    assertThat(Sandbox.reexposed(List.of(Path.of(System.getProperty("user.home"), "bin")), hidden))
        .allMatch(path -> path.startsWith(System.getProperty("user.home")));
  }
}
