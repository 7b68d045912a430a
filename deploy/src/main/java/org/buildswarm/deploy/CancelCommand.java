package org.buildswarm.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.buildswarm.deploy.impl.SwarmClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm cancel RUN [--job JOB]}. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = "Cancel a run, or one job of it. Jobs not started end at once; running ones get SIGTERM "
        + "(their whole process tree), then SIGKILL after a grace period.")
final class CancelCommand extends ApiCommand {
  @Parameters(index = "0", description = "The run's id.")
  long run;

  @Option(names = "--job", description = "Only this job: its name in the run (as `swarm run` prints it) or its id.")
  String job;

  @Override
  String name() {
    return "cancel";
  }

  @Override
  int run(SwarmClient client) throws IOException, InterruptedException {
    Long jobId = job == null ? null : job.matches("\\d{1,18}") ? Long.valueOf(job) : JobNames.resolve(client, run, job);
    JsonNode detail = client.post("/api/v1/runs/" + run + (jobId == null ? "" : "/jobs/" + jobId) + "/cancel", null);
    System.out.println("cancelling " + (job == null ? "run #" + run : "job " + job + " of run #" + run) + "; the run is "
        + detail.path("run").path("state").asText().toLowerCase(java.util.Locale.ROOT));
    return SwarmCli.OK;
  }
}
