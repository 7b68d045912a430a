package org.buildswarm.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A developer's job tries to become admin on the swarm that runs it — {@code swarm up} as a new user
 * starts it, with its default sandbox — while another job of the swarm runs beside it: the admin
 * token by absolute and relative path, the drone's and the swarm's command lines in /proc, a secret
 * it did not declare, the other job's workspace, the state directory, and undoing the hiding with
 * {@code umount}. Each probe prints LEAK only if it got what it wanted; none may. (SandboxTest runs
 * the same probes without a sandbox, where each finds its leak.) The drone's status says which
 * sandbox it has, and says so plainly when there is none.
 */
class JobEscapeSystemTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String UNDECLARED = "undeclared-secret-5be2";
  private static final String OTHER_JOBS_OUTPUT = "other-jobs-output-77d1";

  @TempDir
  Path work;
  private SwarmProcess swarm;

  @AfterEach
  void stop() throws Exception {
    if (swarm != null) {
      swarm.close();
    }
    assertThat(LeftoverProcesses.awaitNoProcessesIn(work, 10_000)).as("processes left behind").isEmpty();
  }

  private Api up(String... extra) throws Exception {
    Path secrets = work.resolve(".buildswarm/drone/secrets");
    Files.createDirectories(secrets);
    Files.writeString(secrets.resolve("DECLARED"), "declared-value-0c41\n");
    Files.writeString(secrets.resolve("UNDECLARED"), UNDECLARED + "\n");
    List<String> args = new java.util.ArrayList<>(List.of("up", "--port", "0", "--cores", "4", "--kill-grace", "1",
        "--no-host-guard"));
    args.addAll(List.of(extra));
    swarm = SwarmProcess.start(work, "up", Map.of(), args.toArray(String[]::new));
    String url = swarm.awaitUrl(TIMEOUT);
    return new Api(url, Files.readString(work.resolve(".buildswarm/admin.token")).trim());
  }

  private static JsonNode awaitDrone(Api api) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      JsonNode drones = api.get("/api/v1/drones").json().path("drones");
      if (drones.size() > 0 && drones.get(0).hasNonNull("sandbox")) {
        return drones.get(0);
      }
      assertThat(System.nanoTime()).as("the drone registered: %s", drones).isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  @Test
  void aJobInTheDefaultSandboxGetsNothingThatWouldMakeItAdmin() throws Exception {
    Api api = up();
    Path state = work.resolve(".buildswarm");
    String admin = Files.readString(state.resolve("admin.token")).trim();
    // Patterns that do not match themselves: neither the probe's grep nor its script (on the
    // sandbox's command line) is what they find.
    String jvm = "'java[.]util[.]logging'";
    String probes = String.join("\n", "set +e",
        "grep -rqs " + admin + " " + state + " && echo LEAK:state-absolute",
        "grep -qs " + admin + " " + state.resolve("admin.token") + " && echo LEAK:admin-absolute",
        "grep -qs " + admin + " \"$BUILDSWARM_WORKSPACE/../../../admin.token\" && echo LEAK:admin-relative",
        "grep -rqs " + admin + " \"$BUILDSWARM_WORKSPACE/../../..\" && echo LEAK:state-relative",
        "grep -rqs " + UNDECLARED + " " + state + " \"$BUILDSWARM_WORKSPACE/../..\" && echo LEAK:undeclared",
        "env | grep -q " + UNDECLARED + " && echo LEAK:undeclared-env",
        "test \"$DECLARED\" = declared-value-0c41 || echo MISSING:declared",
        "cat \"$BUILDSWARM_WORKSPACE\"/../*/other.txt " + state + "/drone/jobs/*/other.txt 2>/dev/null | grep -q "
            + OTHER_JOBS_OUTPUT + " && echo LEAK:other-job",
        "tr '\\0' ' ' < /proc/$PPID/cmdline | grep -q " + jvm + " && echo LEAK:parent-cmdline",
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done 2>/dev/null | grep -q " + jvm
            + " && echo LEAK:any-cmdline",
        "for f in /proc/[0-9]*/environ; do cat $f; done 2>/dev/null | tr '\\0' '\\n' | grep -q " + UNDECLARED
            + " && echo LEAK:environ",
        "umount -l " + state + " 2>/dev/null; grep -rqs " + admin + " " + state + " && echo LEAK:after-umount",
        "unshare -Urm sh -c 'umount -l " + state + "; grep -rqs " + admin + " " + state + "' 2>/dev/null"
            + " && echo LEAK:after-userns-umount",
        "echo probes done");
    String pipeline = """
        jobs:
          other:
            steps: ["echo %s > other.txt; sleep 20"]
          probe:
            secrets: [DECLARED]
            steps:
              - name: wait for the other job
                run: sleep 3
              - name: probe
                run: |
        %s
        """.formatted(OTHER_JOBS_OUTPUT, probes.indent(12).stripTrailing());
    Api.Response created = api.post("/api/v1/runs", Map.of("project", "escape", "pipeline", pipeline));
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    long run = created.json().path("id").asLong();
    JsonNode detail = api.awaitRun(run, TIMEOUT);
    long probeJob = -1;
    for (JsonNode job : detail.path("jobs")) {
      if (job.path("name").asText().equals("probe")) {
        probeJob = job.path("id").asLong();
      }
    }
    String log = api.get("/api/v1/jobs/" + probeJob + "/log").text();
    assertThat(log).as("the probes ran to the end").contains("probes done");
    assertThat(log).doesNotContain("LEAK:", "MISSING:");
    assertThat(log).contains("==> sandbox bubblewrap:");
    assertThat(detail.path("run").path("state").asText()).as("%s", detail).isEqualTo("SUCCEEDED");

    JsonNode drone = awaitDrone(api);
    assertThat(drone.path("sandbox").asText()).startsWith("bubblewrap:");
    SwarmProcess.Finished status = SwarmProcess.run(work, "status", TIMEOUT, "status");
    assertThat(status.stdout()).contains("sandbox bubblewrap:");
  }

  @Test
  void aDroneWithoutASandboxSaysSoInItsStatus() throws Exception {
    Api api = up("--sandbox", "none");
    JsonNode drone = awaitDrone(api);
    assertThat(drone.path("sandbox").asText()).startsWith("none:").contains("can read everything the drone can");
    SwarmProcess.Finished status = SwarmProcess.run(work, "status", TIMEOUT, "status");
    assertThat(status.stdout()).contains("sandbox none:");
  }
}
