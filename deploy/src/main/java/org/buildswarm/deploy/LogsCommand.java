package org.buildswarm.deploy;

import java.io.IOException;
import org.buildswarm.deploy.impl.SwarmClient;
import org.buildswarm.deploy.impl.TimestampedLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code swarm logs JOB [--attempt N] [--follow] [--timestamps | --iso-timestamps]}. */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a job's log (its latest attempt by default).")
final class LogsCommand extends ApiCommand {
  @Parameters(index = "0", description = "The job: its id, or RUN/NAME (the run's id and the job's name, as "
      + "`swarm run` prints them: 12/package).")
  String job;

  @Option(names = "--attempt", description = "This attempt instead of the latest.")
  Integer attempt;

  @Option(names = {"-f", "--follow"}, description = "Keep printing as the log grows, until it is complete.")
  boolean follow;

  @Option(names = {"-t", "--timestamps"}, description = "Put the time each line was written before it "
      + "(HH:MM:SS.mmm, local time).")
  boolean timestamps;

  @Option(names = "--iso-timestamps", description = "Like --timestamps, with the date and the UTC offset (ISO 8601).")
  boolean isoTimestamps;

  @Override
  String name() {
    return "logs";
  }

  @Override
  String argumentProblem() {
    return JobNames.problem(job);
  }

  @Override
  int run(SwarmClient client) throws IOException, InterruptedException {
    long jobId = JobNames.resolve(client, job);
    long offset = 0;
    TimestampedLines times = timestamps || isoTimestamps
        ? new TimestampedLines(java.time.ZoneId.systemDefault(), isoTimestamps) : null;
    while (true) {
      SwarmClient.LogPart part = client.log(jobId, attempt, offset);
      if (times == null) {
        System.out.print(part.text());
      } else if (part.data().length > 0) {
        // After the bytes: the gateway keeps a line's time before its bytes, so none is missed.
        times.add(client.logTimes(jobId, part.attempt(), offset));
        System.out.writeBytes(times.next(part.data()));
      }
      System.out.flush();
      offset = part.size();
      if (!follow || part.complete()) {
        return SwarmCli.OK;
      }
      attempt = part.attempt();
      Thread.sleep(500);
    }
  }
}
