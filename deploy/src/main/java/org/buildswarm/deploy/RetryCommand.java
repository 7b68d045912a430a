package org.buildswarm.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.buildswarm.deploy.impl.SwarmClient;
import org.buildswarm.deploy.impl.Terminal;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm retry RUN [--failed | --job JOB]}. */
@Command(name = "retry", mixinStandardHelpOptions = true,
    description = "Run jobs of a run again within the run, each with a new attempt (earlier attempts' logs stay: "
        + "swarm logs --attempt N): its failed, timed-out and cancelled jobs (the default), or one job; with them "
        + "every job that needs them and has ended. Jobs that succeeded and need none of them keep their result.")
final class RetryCommand extends ApiCommand {
  @Parameters(index = "0", description = "The run's id.")
  long run;

  @ArgGroup(exclusive = true)
  Which which;

  static final class Which {
    @Option(names = "--failed", description = "Every job that failed, timed out or was cancelled (the default).")
    boolean failed;

    @Option(names = "--job", description = "Only this job, whatever it ended as: its name in the run (as `swarm run` "
        + "prints it) or its id.")
    String job;
  }

  @Override
  String name() {
    return "retry";
  }

  @Override
  String argumentProblem() {
    return which != null && which.job != null && which.job.isBlank() ? "--job needs a job's name or id" : null;
  }

  @Override
  int run(SwarmClient client) throws IOException, InterruptedException {
    String job = which == null ? null : which.job;
    Long jobId = job == null ? null : job.matches("\\d{1,18}") ? Long.valueOf(job) : JobNames.resolve(client, run, job);
    RunDetail before = client.run(run);
    JsonNode summary = client.post("/api/v1/runs/" + run + (jobId == null ? "/retry-failed" : "/jobs/" + jobId + "/retry"),
        Map.of());
    RunDetail after = client.run(run);
    Map<Long, JobView> earlier = new HashMap<>();
    before.jobs().forEach(view -> earlier.put(view.id(), view));
    int retried = 0;
    for (JobView now : after.jobs()) {
      JobView was = earlier.get(now.id());
      // Ended before, and since back to waiting, run again or ended anew: what the retry sent back.
      if (was != null && was.state().isTerminal() && (!now.state().isTerminal() || now.attempt() != was.attempt()
          || !Objects.equals(now.finishedAt(), was.finishedAt()))) {
        retried++;
        System.out.printf(Locale.ROOT, "  retried    %s  was %s%s%n", Terminal.shown(now.name()),
            was.state().name().toLowerCase(Locale.ROOT), was.attempt() > 0 ? " (attempt " + was.attempt() + ")" : "");
      }
    }
    System.out.println((jobId == null ? "the failed jobs" : "job " + Terminal.shown(job)) + " of run #" + run
        + " run again (" + retried + (retried == 1 ? " job" : " jobs") + "); the run is "
        + summary.path("state").asText().toLowerCase(Locale.ROOT));
    return SwarmCli.OK;
  }
}
