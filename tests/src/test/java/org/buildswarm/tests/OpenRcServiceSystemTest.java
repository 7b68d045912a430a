package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A drone installed with deploy/install.sh and run by OpenRC's supervise-daemon, as on a
 * build host: it starts as its own user and joins the swarm, is restarted after kill -9, survives
 * {@code rc-service restart} mid-build, and {@code rc-service stop} ends every process it had. Each
 * interrupted run still succeeds, every job exactly once.
 *
 * <p>Needs root and the openrc package. OpenRC is not this machine's init: the test gives it just
 * enough state to run one service (a softlevel and a dependency cache) and never starts a runlevel.
 * The service, user, and directories carry a random suffix, and all of it is removed afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenRcServiceSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  /** The orchestrator's default lease: a silent drone is lost after it. */
  private static final Duration LEASE = Duration.ofSeconds(10);
  private static final Path RUN_OPENRC = Path.of("/run/openrc");
  private static final Path SOFTLEVEL = RUN_OPENRC.resolve("softlevel");
  private static final Path CONF_D = Path.of("/etc/conf.d");

  private static final String ID = UUID.randomUUID().toString().substring(0, 8);
  // A dash, never a dot: OpenRC reads conf.d/NAME-BEFORE-THE-DOT for a dotted service name.
  private static final String SERVICE = "build-drone-test-" + ID;
  private static final String USER = "bswt" + ID;
  private static final String DRONE = "svc-" + ID;
  private static final Path PREFIX = Path.of("/opt/buildswarm-test-" + ID);
  private static final Path STATE = Path.of("/var/lib/buildswarm-test-" + ID);
  private static final Path LOGS = Path.of("/var/log/buildswarm-test-" + ID);
  private static final Path ETC = Path.of("/etc/buildswarm-test-" + ID);
  private static final Path LOG = LOGS.resolve(SERVICE + ".log");
  /** Where jobs signal that they are running; the service's user can write there, root can read. */
  /** The runs' source: the drone copies it as the service's user, who cannot read the test's /tmp directory. */
  private static final Path SOURCE = STATE.resolve("source");

  @TempDir
  static Path work;

  static Cluster cluster;
  static boolean preparedOpenrc;
  static boolean runOpenrcExisted;
  static boolean softlevelExisted;
  static boolean confDExisted;
  static boolean installed;
  static String installOutput;
  static String exampleSettings;

  @BeforeAll
  static void installTheDroneService() throws Exception {
    assertThat(run(Duration.ofSeconds(10), "id", "-u").output().trim())
        .as("this test installs a system service: run it as root").isEqualTo("0");
    assertThat(Files.isExecutable(Path.of("/sbin/openrc-run")) && Files.isExecutable(Path.of("/sbin/supervise-daemon")))
        .as("OpenRC is not installed (Debian package openrc; ./test.sh installs it)").isTrue();
    assertThat(run(Duration.ofSeconds(10), "id", USER).exit()).as("user %s exists already", USER).isNotZero();

    // Just enough OpenRC state for rc-service; the dependency cache must exist before the first call.
    runOpenrcExisted = Files.isDirectory(RUN_OPENRC);
    softlevelExisted = Files.exists(SOFTLEVEL);
    confDExisted = Files.isDirectory(CONF_D);
    preparedOpenrc = true;
    Files.createDirectories(RUN_OPENRC);
    if (!softlevelExisted) {
      Files.createFile(SOFTLEVEL);
    }
    Result update = run(TIMEOUT, "rc-update", "-u");
    assertThat(update.exit()).as("rc-update -u: %s", update).isZero();

    cluster = new Cluster(work, "127.0.0.1");
    cluster.startCore();

    installed = true;
    Result install = run(TIMEOUT, "sh", SwarmProcess.checkout().resolve("deploy/install.sh").toString(), "--init", "openrc",
        "--roles", "drone", "--prefix", PREFIX.toString(), "--name-suffix", "test-" + ID, "--user", USER,
        "--state-dir", STATE.toString(), "--log-dir", LOGS.toString(), "--etc-dir", ETC.toString(),
        "--java-home", System.getProperty("java.home"));
    installOutput = install.output();
    assertThat(install.exit()).as("install.sh: %s", install).isZero();
    exampleSettings = Files.readString(ETC.resolve("drone.yml"));

    // What an administrator does next: the drone's credentials and its settings.
    Path credentials = ETC.resolve("drone.credentials");
    Files.copy(cluster.droneCredentials(DRONE), credentials);
    chown(USER + ":" + USER, credentials);
    Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("r--------"));
    Files.writeString(ETC.resolve("drone.yml"), String.join("\n",
        "members: [" + cluster.members().replace(",", ", ") + "]",
        "cluster-name: " + cluster.name,
        "bind: 127.0.0.1",
        "cluster-port: 0",
        "event-bus-port: 0",
        "credentials: " + credentials,
        "cores: 2",
        "labels: [linux, node-" + DRONE + "]",
        "work-dir: " + STATE.resolve("drone"),
        "kill-grace: 2",
        ""));
    Files.createDirectories(SOURCE);
    Files.writeString(SOURCE.resolve("README"), "what the jobs build\n");
    chown(USER + ":" + USER, SOURCE, SOURCE.resolve("README"));
  }

  @AfterAll
  static void removeEverything() throws Exception {
    List<String> problems = new ArrayList<>();
    if (installed) {
      Path script = Path.of("/etc/init.d", SERVICE);
      if (Files.exists(script)) {
        attempt(problems, () -> run(Duration.ofSeconds(120), "setsid", "-w", "rc-service", SERVICE, "stop"));
        attempt(problems, () -> run(TIMEOUT, "rc-service", SERVICE, "zap"));
      }
      // Whatever the service left, even after a failure: its supervisor, then its user's processes.
      for (String pid : run(TIMEOUT, "pgrep", "-f", "supervise-daemon " + SERVICE + " ").output().split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      attempt(problems, () -> run(TIMEOUT, "pkill", "-KILL", "-u", USER));
      attempt(problems, () -> awaitNoProcessesOf(USER, Duration.ofSeconds(10)));
      // The JVM's perf data lands in /tmp/hsperfdata_USER (a killed JVM's file stays there).
      List<Path> files = new ArrayList<>(List.of(script, CONF_D.resolve(SERVICE),
          Path.of("/run/supervise-" + SERVICE + ".pid"), RUN_OPENRC.resolve("supervise-" + SERVICE + ".ctl"),
          RUN_OPENRC.resolve("options").resolve(SERVICE), RUN_OPENRC.resolve("daemons").resolve(SERVICE),
          PREFIX, Path.of(PREFIX + ".new"), Path.of(PREFIX + ".previous"), STATE, LOGS, ETC,
          Path.of("/tmp/hsperfdata_" + USER)));
      if (Files.isDirectory(RUN_OPENRC)) {
        try (Stream<Path> found = Files.find(RUN_OPENRC, 2,
            (path, attributes) -> path.getFileName().toString().contains(SERVICE))) {
          files.addAll(found.toList());
        }
      }
      for (Path file : files) {
        attempt(problems, () -> deleteRecursively(file));
      }
      attempt(problems, () -> {
        if (run(TIMEOUT, "id", USER).exit() == 0) {
          Result deleted = run(TIMEOUT, "userdel", USER);
          assertThat(deleted.exit()).as("userdel: %s", deleted).isZero();
        }
        if (run(TIMEOUT, "getent", "group", USER).exit() == 0) {
          run(TIMEOUT, "groupdel", USER);
        }
      });
      attempt(problems, () -> {
        if (!confDExisted) {
          try (Stream<Path> left = Files.list(CONF_D)) {
            if (left.findAny().isEmpty()) {
              Files.delete(CONF_D);
            }
          }
        }
      });
    }
    attempt(problems, () -> {
      if (!preparedOpenrc) {
        return;
      }
      if (!runOpenrcExisted) {
        deleteRecursively(RUN_OPENRC);
      } else {
        if (!softlevelExisted) {
          Files.deleteIfExists(SOFTLEVEL);
        }
        run(TIMEOUT, "rc-update", "-u");
      }
    });
    if (cluster != null) {
      cluster.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
    assertThat(run(TIMEOUT, "pgrep", "-f", SERVICE).output()).as("processes of the service left behind").isBlank();
    for (Path path : List.of(Path.of("/etc/init.d", SERVICE), CONF_D.resolve(SERVICE), PREFIX, STATE, LOGS, ETC,
        Path.of("/tmp/hsperfdata_" + USER))) {
      assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).as("%s left behind", path).isFalse();
    }
    assertThat(run(TIMEOUT, "id", USER).exit()).as("user %s left behind", USER).isNotZero();
    assertThat(problems).as("cleaning up").isEmpty();
  }

  @Test
  @Order(1)
  void installerLaysOutTheServiceForAnUnprivilegedUser() throws Exception {
    assertThat(installOutput).contains("created system user and group " + USER, "wrote /etc/conf.d/" + SERVICE,
        "rc-update add " + SERVICE + " default", "rc-service " + SERVICE + " start");
    assertMode(Path.of("/etc/init.d", SERVICE), "root", "root", "rwxr-xr-x");
    assertMode(CONF_D.resolve(SERVICE), "root", "root", "rw-r--r--");
    assertMode(ETC, "root", USER, "rwxr-x---");
    assertMode(ETC.resolve("drone.yml"), "root", USER, "rw-r-----");
    assertMode(STATE.resolve("drone"), USER, USER, "rwxr-x---");
    assertMode(LOGS, USER, USER, "rwxr-x---");
    assertMode(PREFIX.resolve("bin/swarm"), "root", "root", "rwxr-xr-x");
    assertThat(run(TIMEOUT, "getent", "passwd", USER).output()).contains(":" + STATE + ":").contains("nologin");
    assertThat(Files.readString(CONF_D.resolve(SERVICE))).contains("BUILDSWARM_HOME=\"" + PREFIX + "\"",
        "BUILDSWARM_USER=\"" + USER + "\"", "BUILDSWARM_CONFIG=\"" + ETC.resolve("drone.yml") + "\"",
        "BUILDSWARM_STATE_DIR=\"" + STATE.resolve("drone") + "\"",
        "JAVA_HOME=\"" + System.getProperty("java.home") + "\"");

    // The example settings only lack the swarm's members: every key in it is one the drone knows.
    assertThat(exampleSettings).contains("credentials: " + ETC.resolve("drone.credentials"),
        "work-dir: " + STATE.resolve("drone"));
    Path example = work.resolve("example-drone.yml");
    Files.writeString(example, exampleSettings);
    Result tried = run(TIMEOUT, PREFIX.resolve("bin/swarm").toString(), "drone", "--config", example.toString());
    assertThat(tried.exit()).as("%s", tried).isNotZero();
    assertThat(tried.output()).as("%s", tried).contains("Missing required option: '--members");

    Result status = rc("status");
    assertThat(status.exit()).as("status before the first start: %s", status).isEqualTo(3);
  }

  @Test
  @Order(2)
  void serviceRunsTheDroneAsItsUserAndItJoinsTheSwarm() throws Exception {
    withServiceLogs(() -> {
      Result started = rc("start");
      assertThat(started.exit()).as("%s", started).isZero();
      cluster.awaitDroneState(DRONE, "online", TIMEOUT, null);

      long pid = awaitChild(-1);
      ProcessHandle drone = ProcessHandle.of(pid).orElseThrow();
      // The launcher execs java, so supervise-daemon's child is the JVM itself and its signals reach it.
      assertThat(drone.info().command().orElse(""))
          .isEqualTo(Path.of(System.getProperty("java.home"), "bin/java").toRealPath().toString());
      assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd"))).isEqualTo(STATE.resolve("drone"));
      assertThat(environment(pid)).containsEntry("BUILDSWARM_CACHE_DIR", STATE.resolve("drone/vertx-cache").toString());
      assertThat(Files.readString(LOG)).contains("buildswarm drone ready");

      Result again = rc("start");
      assertThat(again.exit()).as("start when started: %s", again).isZero();
      assertThat(childPid()).isEqualTo(pid);
      assertThat(rc("status").exit()).isZero();
    });
  }

  @Test
  @Order(3)
  void droneKilledMidJobIsRestartedAndTheJobSucceedsOnce() throws Exception {
    withServiceLogs(() -> {
      String marker = "killed-" + ID;
      long run = submit("killed", sleepingJob(marker));
      HostProcesses.await(marker, TIMEOUT);
      long before = childPid();
      int readyBefore = occurrences(Files.readString(LOG), "buildswarm drone ready");
      ProcessHandle.of(before).orElseThrow().destroyForcibly();

      long after = awaitChild(before);
      assertThat(after).isNotEqualTo(before);
      awaitLog(log -> occurrences(log, "buildswarm drone ready") > readyBefore, "the restarted drone ready");
      JsonNode detail = cluster.api.awaitRun(run, Duration.ofSeconds(180));
      assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
      assertThat(detail.path("jobs").get(0).path("drone").asText()).isEqualTo(DRONE);
      assertEachJobSucceededOnce(run, 1);
      cluster.awaitDroneState(DRONE, "online", TIMEOUT, null);
      assertThat(childPid()).as("still the restarted drone").isEqualTo(after);
    });
  }

  @Test
  @Order(4)
  void restartMidBuildKeepsTheRunAndTheDroneComesBack() throws Exception {
    withServiceLogs(() -> {
      String marker = "restarted-" + ID;
      long run = submit("restarted", sleepingJob(marker));
      HostProcesses.await(marker, TIMEOUT);
      long before = childPid();
      int stoppedBefore = occurrences(Files.readString(LOG), "buildswarm drone stopped");
      Result restarted = rc("restart");
      assertThat(restarted.exit()).as("%s", restarted).isZero();
      assertThat(awaitChild(before)).isNotEqualTo(before);
      assertThat(occurrences(Files.readString(LOG), "buildswarm drone stopped"))
          .as("SIGTERM lets the drone stop its job and leave the swarm").isEqualTo(stoppedBefore + 1);

      // The drone says it is leaving, stops its job and reports it lost; the orchestrator requeues it
      // without holding the restart against the drone (it is not grounded: a grounded drone would
      // sit out a 2-minute cooldown), and the drone back from its restart runs it again.
      JsonNode detail = cluster.api.awaitRun(run, Duration.ofSeconds(90));
      assertThat(cluster.api.get("/api/v1/runs/0/events").text()).as("swarm events").contains("drone.registered")
          .doesNotContain("drone.grounded");
      assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");
      assertEachJobSucceededOnce(run, 1);
      cluster.awaitDroneState(DRONE, "online", TIMEOUT, null);
    });
  }

  @Test
  @Order(5)
  void stopEndsEveryProcessAndTheDroneLeavesTheSwarm() throws Exception {
    withServiceLogs(() -> {
      long pid = childPid();
      int stoppedBefore = occurrences(Files.readString(LOG), "buildswarm drone stopped");
      Result stopped = rc("stop");
      assertThat(stopped.exit()).as("%s", stopped).isZero();
      Result status = rc("status");
      assertThat(status.exit()).as("status after stop: %s", status).isEqualTo(3);
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      awaitNoProcessesOf(USER, Duration.ofSeconds(10));
      assertThat(run(TIMEOUT, "pgrep", "-f", "supervise-daemon " + SERVICE + " ").output()).isBlank();
      assertThat(occurrences(Files.readString(LOG), "buildswarm drone stopped")).as("a clean exit after SIGTERM")
          .isEqualTo(stoppedBefore + 1);
      cluster.awaitDroneState(DRONE, "lost", LEASE.plusSeconds(10), null);

      Result again = rc("stop");
      assertThat(again.exit()).as("stop when stopped: %s", again).isZero();
    });
  }

  // ---- helpers -------------------------------------------------------------------------------

  record Result(int exit, String output) {
    @Override
    public String toString() {
      return "exit " + exit + "\n" + output;
    }
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs a command to completion (stdout and stderr together). */
  static Result run(Duration timeout, String... command) throws Exception {
    Path output = Files.createTempFile(work, "command", ".out");
    try {
      Process process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
          .redirectOutput(output.toFile()).start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
      }
      return new Result(process.exitValue(), new String(Files.readAllBytes(output), StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  /**
   * rc-service in a session of its own: the supervisor it starts must not be in the test's process
   * group. (Its output is closed, so reading it does not wait for the service.)
   */
  static Result rc(String action) throws Exception {
    return run(Duration.ofSeconds(150), "setsid", "-w", "rc-service", SERVICE, action);
  }

  /** Adds the service's state and log to whatever fails. */
  static void withServiceLogs(Body body) throws Exception {
    try {
      body.run();
    } catch (AssertionError | Exception e) {
      throw new AssertionError(e.getMessage() + "\n" + serviceReport(), e);
    }
  }

  static String serviceReport() {
    StringBuilder report = new StringBuilder("--- rc-service " + SERVICE + " status\n");
    try {
      report.append(run(TIMEOUT, "rc-service", SERVICE, "status"));
      report.append("--- processes of ").append(USER).append('\n')
          .append(run(TIMEOUT, "ps", "-o", "pid,ppid,args", "-u", USER).output());
      String log = Files.exists(LOG) ? Files.readString(LOG) : "(none)\n";
      report.append("--- ").append(LOG).append('\n')
          .append(log.length() > 30_000 ? log.substring(log.length() - 30_000) : log);
    } catch (Exception e) {
      report.append("(could not read: ").append(e).append(")\n");
    }
    return report.toString();
  }

  static void attempt(List<String> problems, Body step) {
    try {
      step.run();
    } catch (Exception | AssertionError e) {
      problems.add(e.toString());
    }
  }

  static long submit(String project, String yaml) throws Exception {
    Api.Response created = cluster.api.post("/api/v1/runs", Api.submission(project, yaml, SOURCE.toString()));
    assertThat(created.status()).as("%s", created.text()).isEqualTo(201);
    return created.json().path("id").asLong();
  }

  /** A job that shows it has started (a process named {@code marker}) and then runs for a few seconds. */
  static String sleepingJob(String marker) {
    return "jobs:\n  long:\n    steps:\n      - run: " + HostProcesses.named(marker, "sleep 5") + "; echo done\n";
  }

  static void assertEachJobSucceededOnce(long run, int jobs) throws Exception {
    Map<Long, Integer> successes = new HashMap<>();
    JsonNode events = cluster.api.get("/api/v1/runs/" + run + "/events?limit=10000").json().path("events");
    for (JsonNode event : events) {
      if (event.path("type").asText().equals("job.succeeded")) {
        successes.merge(event.path("jobId").asLong(), 1, Integer::sum);
      }
    }
    assertThat(successes).as("%s", events).hasSize(jobs).allSatisfy((job, count) -> assertThat(count).isEqualTo(1));
  }

  /** supervise-daemon's child (the drone's JVM), or -1. */
  static long childPid() throws IOException {
    Path file = RUN_OPENRC.resolve("options").resolve(SERVICE).resolve("child_pid");
    try {
      String text = Files.readString(file).trim();
      return text.isEmpty() ? -1 : Long.parseLong(text);
    } catch (java.nio.file.NoSuchFileException e) {
      return -1;
    }
  }

  /** Waits for a live child other than {@code previous}, running as the service's user. */
  static long awaitChild(long previous) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      long pid = childPid();
      if (pid > 0 && pid != previous) {
        var process = ProcessHandle.of(pid);
        if (process.isPresent() && process.get().isAlive() && process.get().info().user().orElse("").equals(USER)) {
          return pid;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no drone process of " + USER + " other than " + previous + " within " + TIMEOUT
        + " (child_pid " + childPid() + ")");
  }

  static Map<String, String> environment(long pid) throws IOException {
    Map<String, String> environment = new HashMap<>();
    for (String entry : new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
        StandardCharsets.UTF_8).split("\0")) {
      int equals = entry.indexOf('=');
      if (equals > 0) {
        environment.put(entry.substring(0, equals), entry.substring(equals + 1));
      }
    }
    return environment;
  }

  static void awaitNoProcessesOf(String user, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Result found = run(TIMEOUT, "pgrep", "-a", "-u", user);
    while (found.exit() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
      found = run(TIMEOUT, "pgrep", "-a", "-u", user);
    }
    assertThat(found.exit()).as("processes of %s left: %s", user, found).isNotZero();
  }

  static void awaitLog(java.util.function.Predicate<String> condition, String what) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.test(Files.readString(LOG))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not in the service's log within " + TIMEOUT + ": " + what);
      }
      Thread.sleep(100);
    }
  }

  static int occurrences(String text, String what) {
    int count = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length())) {
      count++;
    }
    return count;
  }

  static void assertMode(Path path, String owner, String group, String permissions) throws IOException {
    PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class);
    assertThat(attributes.owner().getName()).as("owner of %s", path).isEqualTo(owner);
    assertThat(attributes.group().getName()).as("group of %s", path).isEqualTo(group);
    assertThat(PosixFilePermissions.toString(attributes.permissions())).as("mode of %s", path).isEqualTo(permissions);
  }

  static void chown(String owner, Path... paths) throws Exception {
    List<String> command = new ArrayList<>(List.of("chown", owner));
    for (Path path : paths) {
      command.add(path.toString());
    }
    Result result = run(TIMEOUT, command.toArray(String[]::new));
    assertThat(result.exit()).as("%s", result).isZero();
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> tree = Files.walk(path)) {
        for (Path entry : tree.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(entry);
        }
      }
    } else {
      Files.deleteIfExists(path);
    }
  }
}
