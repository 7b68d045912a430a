package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive the Maven build makes, as a new user gets it: unpacked anywhere, it reports
 * its version, runs the swarm (with JSON log lines) and the example pipeline, and installs as
 * systemd services whose units systemd accepts.
 */
class ReleaseArchiveSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(180);

  @TempDir
  Path work;

  private static Path archive() throws Exception {
    Path target = SwarmProcess.checkout().resolve("deploy/target");
    String version = Files.readString(target.resolve("buildswarm/VERSION")).trim();
    Path archive = target.resolve("buildswarm-" + version + ".tar.gz");
    assertThat(archive).as("the release archive of the Maven build").isRegularFile();
    return archive;
  }

  private Path unpack() throws Exception {
    Path archive = archive();
    Path into = Files.createDirectories(work.resolve("unpacked"));
    Result untar = run(Duration.ofSeconds(120), "tar", "-xzf", archive.toString(), "-C", into.toString());
    assertThat(untar.exit()).as("tar: %s", untar).isZero();
    String base = archive.getFileName().toString().replace(".tar.gz", "");
    try (var entries = Files.list(into)) {
      assertThat(entries.map(path -> path.getFileName().toString()).toList()).as("one top directory")
          .containsExactly(base);
    }
    return into.resolve(base);
  }

  @Test
  void theUnpackedArchiveRunsTheSwarmAndTheExamplePipeline() throws Exception {
    Path release = unpack();
    String version = Files.readString(release.resolve("VERSION")).trim();
    for (String part : List.of("bin/swarm", "install.sh", "services/systemd/build-drone.service",
        "services/openrc/build-drone", "prometheus/alerts.yml", "grafana/buildswarm.json", "docs/operations.md",
        "examples/diamond/.buildswarm.yml", "schema/pipeline.schema.json")) {
      assertThat(release.resolve(part)).as(part).exists();
    }
    assertThat(Files.isExecutable(release.resolve("bin/swarm"))).isTrue();
    Path launcher = release.resolve("bin/swarm");

    SwarmProcess.Finished reported = SwarmProcess.runWith(launcher, work, "version", TIMEOUT, "--version");
    assertThat(reported.exitCode()).as("%s", reported).isZero();
    assertThat(reported.stdout()).startsWith("buildswarm " + version + " (protocol ");

    // The tests need the drone to take work whatever else this host is doing.
    try (SwarmProcess swarm = SwarmProcess.startWith(launcher, work, "up", Map.of(), "up", "--port", "0",
        "--kill-grace", "2", "--no-host-guard", "--log-format", "json")) {
      swarm.awaitUrl(TIMEOUT);
      SwarmProcess.Finished ran = SwarmProcess.runWith(launcher, work, "run", TIMEOUT, "run",
          release.resolve("examples/diamond").toString());
      assertThat(ran.exitCode()).as("%s", ran).isZero();
      assertThat(ran.stdout()).containsPattern("run #\\d+ succeeded in [0-9.]+s: 6 passed");
      assertThat(swarm.terminate(Duration.ofSeconds(60))).as("stops on SIGTERM").isTrue();
      // Every line it logged is one JSON object: what log shippers read.
      List<String> lines = swarm.stderr().lines().filter(line -> !line.isBlank()).toList();
      assertThat(lines).as("log lines").isNotEmpty();
      ObjectMapper json = new ObjectMapper();
      for (String line : lines) {
        JsonNode record = json.readTree(line);
        assertThat(record.isObject()).as(line).isTrue();
        assertThat(record.path("time").asText()).as(line).isNotEmpty();
        assertThat(record.path("level").asText()).as(line).isNotEmpty();
        assertThat(record.path("logger").asText()).as(line).isNotEmpty();
        assertThat(record.has("message")).as(line).isTrue();
      }
      assertThat(lines).anyMatch(line -> line.contains("\"role\":\"up\""));
    }
  }

  @Test
  void installShFromTheArchiveWritesSystemdUnitsSystemdAccepts() throws Exception {
    assertThat(run(Duration.ofSeconds(10), "id", "-u").output().trim())
        .as("install.sh creates a system user: run this test as root").isEqualTo("0");
    Path release = unpack();
    String id = UUID.randomUUID().toString().substring(0, 8);
    String user = "bswr" + id;
    Path root = work.resolve("installed");
    Path prefix = root.resolve("opt");
    Path units = root.resolve("units");
    Path etc = root.resolve("etc");
    try {
      Result install = run(TIMEOUT, "sh", release.resolve("install.sh").toString(), "--init", "systemd",
          "--roles", "drone,orchestrator,gateway", "--prefix", prefix.toString(), "--name-suffix", "test-" + id,
          "--user", user, "--state-dir", root.resolve("state").toString(), "--log-dir", root.resolve("log").toString(),
          "--etc-dir", etc.toString(), "--systemd-dir", units.toString(), "--java-home", System.getProperty("java.home"));
      assertThat(install.exit()).as("install.sh: %s", install).isZero();
      assertThat(install.output()).contains("systemctl enable --now build-drone-test-" + id);
      assertThat(prefix.resolve("bin/swarm")).exists();
      for (String role : List.of("drone", "orchestrator", "gateway")) {
        String service = "build-" + role + "-test-" + id;
        Path unit = units.resolve(service + ".service");
        String text = Files.readString(unit);
        assertThat(text).contains("User=" + user, "ExecStart=" + prefix.resolve("bin/swarm") + " " + role + " --config",
            "Environment=BUILDSWARM_CONFIG=" + etc.resolve(role + ".yml"), "EnvironmentFile=-" + etc.resolve(service + ".env"),
            "WorkingDirectory=" + root.resolve("state").resolve(role), "Restart=on-failure", "KillMode=mixed")
            .doesNotContain("/opt/buildswarm", "/var/lib/buildswarm", "/etc/buildswarm");
        assertThat(etc.resolve(role + ".yml")).exists();
        assertThat(Files.readString(etc.resolve(service + ".env"))).contains("JAVA_HOME=" + System.getProperty("java.home"));
        if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
          Result verify = run(Duration.ofSeconds(60), "systemd-analyze", "verify", unit.toString());
          assertThat(verify.exit()).as("systemd-analyze verify %s: %s", unit, verify).isZero();
          assertThat(verify.output()).as("systemd-analyze verify %s", unit).doesNotContain(service);
        }
      }
      // Again: an upgrade keeps the settings and environment files an administrator edited.
      Files.writeString(etc.resolve("drone.yml"), "cluster-name: edited\n");
      Result again = run(TIMEOUT, "sh", release.resolve("install.sh").toString(), "--init", "systemd",
          "--roles", "drone", "--prefix", prefix.toString(), "--name-suffix", "test-" + id, "--user", user,
          "--state-dir", root.resolve("state").toString(), "--log-dir", root.resolve("log").toString(),
          "--etc-dir", etc.toString(), "--systemd-dir", units.toString());
      assertThat(again.exit()).as("install.sh again: %s", again).isZero();
      assertThat(Files.readString(etc.resolve("drone.yml"))).isEqualTo("cluster-name: edited\n");
      assertThat(again.output()).contains("previous");
    } finally {
      if (run(Duration.ofSeconds(10), "id", user).exit() == 0) {
        Result deleted = run(Duration.ofSeconds(30), "userdel", user);
        assertThat(deleted.exit()).as("userdel: %s", deleted).isZero();
      }
      if (run(Duration.ofSeconds(10), "getent", "group", user).exit() == 0) {
        run(Duration.ofSeconds(30), "groupdel", user);
      }
    }
  }

  record Result(int exit, String output) {
  }

  private Result run(Duration timeout, String... command) throws Exception {
    Path output = Files.createTempFile(work, "command", ".out");
    Process process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
    }
    return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }
}
