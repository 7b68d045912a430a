package org.buildswarm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {
  @TempDir
  Path directory;

  private static Cli.Outcome swarm(String... args) {
    return Cli.swarm(args);
  }

  @Test
  void printsTheMakespanTheBoundsAndTheirRatioAndDrawsTheTimeline() throws Exception {
    Path workload = directory.resolve("w.json");
    Files.writeString(workload, """
        {"drones":[{"name":"a","cores":4,"labels":["x"]},{"name":"b","cores":2}],
         "jobs":[{"id":"i","cores":2,"duration_ms":4000},
                 {"id":"j","cores":4,"duration_ms":9000,"needs":["i"],"labels":["x"]},
                 {"id":"k","cores":1,"duration_ms":1000,"needs":["i"]}]}
        """);
    Path svg = directory.resolve("timeline.svg");
    Cli.Outcome outcome = swarm("simulate", workload.toString(), "--timeline", svg.toString());
    assertThat(outcome.status()).as(outcome.err()).isZero();
    assertThat(outcome.out())
        .contains("jobs:                3 run on 2 drones (6 cores)")
        .contains("makespan:            13.0s")
        .contains("lower bound:         13.0s  (critical path 13.0s")
        .contains("ratio:               1.000")
        .containsPattern("mean utilisation:    [0-9.]+%");
    assertThat(Files.readString(svg)).startsWith("<svg").contains("j on a, 4 core(s)");
  }

  @Test
  void badWorkloadsAreNamedWithLineAndColumn() throws Exception {
    Path typo = directory.resolve("typo.json");
    Files.writeString(typo, "{\"drones\":[],\n \"jobs\":[{\"id\":\"x\",\"duraton_ms\":5}]}");
    Cli.Outcome outcome = swarm("simulate", typo.toString());
    assertThat(outcome.status()).isEqualTo(SwarmCli.BAD_INPUT);
    assertThat(outcome.err()).contains(typo + ":2:").contains("Unrecognized field \"duraton_ms\"");

    Path cycle = directory.resolve("cycle.json");
    Files.writeString(cycle, "{\"drones\":[{\"name\":\"a\",\"cores\":1}],\"jobs\":[{\"id\":\"x\",\"duration_ms\":5,\"needs\":[\"y\"]},"
        + "{\"id\":\"y\",\"duration_ms\":5,\"needs\":[\"x\"]}]}");
    assertThat(swarm("simulate", cycle.toString()).err()).contains("cycle");
    assertThat(swarm("simulate", cycle.toString(), "--policy", "magic").err()).contains("best-fit or fifo");
  }

  @Test
  void jobsNoDroneCanRunMakeItFail() throws Exception {
    Path workload = directory.resolve("big.json");
    Files.writeString(workload, "{\"drones\":[{\"name\":\"a\",\"cores\":2}],\"jobs\":[{\"id\":\"huge\",\"cores\":8,\"duration_ms\":5}]}");
    Cli.Outcome outcome = swarm("simulate", workload.toString());
    assertThat(outcome.status()).isEqualTo(SwarmCli.RUN_FAILED);
    assertThat(outcome.out()).contains("not run (1):", "huge: unschedulable: needs 8 cores; the largest drone has 2");
  }
}
