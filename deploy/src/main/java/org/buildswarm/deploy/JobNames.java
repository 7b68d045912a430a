package org.buildswarm.deploy;

import java.io.IOException;
import org.buildswarm.deploy.impl.SwarmClient;
import org.buildswarm.protocol.api.JobView;
import org.buildswarm.protocol.api.RunDetail;

/** A job as people name it on the command line: its id, or RUN/NAME (what `swarm run` prints). */
final class JobNames {
  private JobNames() {
  }

  /** Why {@code job} names no job (checked before asking the swarm); null when it can. */
  static String problem(String job) {
    return job.matches("\\d{1,18}") || job.matches("\\d{1,18}/.+") ? null
        : "\"" + job + "\" is neither a job's id nor RUN/NAME (like 12/package)";
  }

  /** The job's id; a name that is not a job of the run is bad input, said with the names there are. */
  static long resolve(SwarmClient client, String job) throws IOException, InterruptedException {
    if (job.matches("\\d{1,18}")) {
      return Long.parseLong(job);
    }
    int slash = job.indexOf('/');
    return resolve(client, Long.parseLong(job.substring(0, slash)), job.substring(slash + 1));
  }

  /** The id of the job called {@code name} in run {@code runId}. */
  static long resolve(SwarmClient client, long runId, String name) throws IOException, InterruptedException {
    RunDetail detail = client.run(runId);
    for (JobView view : detail.jobs()) {
      if (view.name().equals(name)) {
        return view.id();
      }
    }
    throw new SwarmClient.ApiException(404, "run #" + runId + " has no job \"" + name + "\"; its jobs: "
        + String.join(", ", detail.jobs().stream().map(JobView::name).toList()));
  }
}
